# Security groups, rule by rule; Neutron's default egress rules are deleted
# so that only AWS's egress rules remain. AWS prefix lists are address groups.

# AWS prefix list pl-0ca1000000004a001 (campus-admin-networks, IPv4)
resource "openstack_networking_address_group_v2" "campus_admin_networks" {
  name        = "campus-admin-networks"
  description = "AWS prefix list pl-0ca1000000004a001"
  addresses   = ["172.16.10.0/24", "172.20.0.0/16"]
}

# AWS security group sg-0ca1000000001a000 (default) of vpc-0ca1000000000a001
resource "openstack_networking_secgroup_v2" "campus_default" {
  name                 = "campus_default"
  description          = "default VPC security group (AWS sg-0ca1000000001a000)"
  delete_default_rules = true
}

resource "openstack_networking_secgroup_rule_v2" "campus_default_1" {
  security_group_id = openstack_networking_secgroup_v2.campus_default.id
  direction         = "ingress"
  ethertype         = "IPv4"
  remote_group_id   = openstack_networking_secgroup_v2.campus_default.id
}

resource "openstack_networking_secgroup_rule_v2" "campus_default_2" {
  security_group_id = openstack_networking_secgroup_v2.campus_default.id
  direction         = "ingress"
  ethertype         = "IPv6"
  remote_group_id   = openstack_networking_secgroup_v2.campus_default.id
}

resource "openstack_networking_secgroup_rule_v2" "campus_default_3" {
  security_group_id = openstack_networking_secgroup_v2.campus_default.id
  direction         = "egress"
  ethertype         = "IPv4"
  remote_ip_prefix  = "0.0.0.0/0"
}

# AWS security group sg-0ca1000000001a001 (web) of vpc-0ca1000000000a001
resource "openstack_networking_secgroup_v2" "campus_web" {
  name                 = "web"
  description          = "HTTP and HTTPS from anywhere, for the load balancer (AWS sg-0ca1000000001a001)"
  delete_default_rules = true
}

resource "openstack_networking_secgroup_rule_v2" "campus_web_1" {
  security_group_id = openstack_networking_secgroup_v2.campus_web.id
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 80
  port_range_max    = 80
  remote_ip_prefix  = "0.0.0.0/0"
}

resource "openstack_networking_secgroup_rule_v2" "campus_web_2" {
  security_group_id = openstack_networking_secgroup_v2.campus_web.id
  direction         = "ingress"
  ethertype         = "IPv6"
  protocol          = "tcp"
  port_range_min    = 80
  port_range_max    = 80
  remote_ip_prefix  = "::/0"
}

resource "openstack_networking_secgroup_rule_v2" "campus_web_3" {
  security_group_id = openstack_networking_secgroup_v2.campus_web.id
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 443
  port_range_max    = 443
  remote_ip_prefix  = "0.0.0.0/0"
}

resource "openstack_networking_secgroup_rule_v2" "campus_web_4" {
  security_group_id = openstack_networking_secgroup_v2.campus_web.id
  direction         = "ingress"
  ethertype         = "IPv6"
  protocol          = "tcp"
  port_range_min    = 443
  port_range_max    = 443
  remote_ip_prefix  = "::/0"
}

resource "openstack_networking_secgroup_rule_v2" "campus_web_5" {
  security_group_id = openstack_networking_secgroup_v2.campus_web.id
  direction         = "egress"
  ethertype         = "IPv4"
  remote_ip_prefix  = "0.0.0.0/0"
}

# AWS security group sg-0ca1000000001a002 (app) of vpc-0ca1000000000a001
resource "openstack_networking_secgroup_v2" "campus_app" {
  name                 = "app"
  description          = "Moodle application servers (AWS sg-0ca1000000001a002)"
  delete_default_rules = true
}

resource "openstack_networking_secgroup_rule_v2" "campus_app_1" {
  security_group_id = openstack_networking_secgroup_v2.campus_app.id
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 8080
  port_range_max    = 8080
  remote_group_id   = openstack_networking_secgroup_v2.campus_web.id
}

resource "openstack_networking_secgroup_rule_v2" "campus_app_2" {
  security_group_id = openstack_networking_secgroup_v2.campus_app.id
  direction         = "ingress"
  ethertype         = "IPv6"
  protocol          = "tcp"
  port_range_min    = 8080
  port_range_max    = 8080
  remote_group_id   = openstack_networking_secgroup_v2.campus_web.id
}

resource "openstack_networking_secgroup_rule_v2" "campus_app_3" {
  security_group_id       = openstack_networking_secgroup_v2.campus_app.id
  direction               = "ingress"
  ethertype               = "IPv4"
  protocol                = "tcp"
  port_range_min          = 22
  port_range_max          = 22
  remote_address_group_id = openstack_networking_address_group_v2.campus_admin_networks.id
}

resource "openstack_networking_secgroup_rule_v2" "campus_app_4" {
  security_group_id = openstack_networking_secgroup_v2.campus_app.id
  direction         = "egress"
  ethertype         = "IPv4"
  remote_ip_prefix  = "0.0.0.0/0"
}

resource "openstack_networking_secgroup_rule_v2" "campus_app_5" {
  security_group_id = openstack_networking_secgroup_v2.campus_app.id
  direction         = "egress"
  ethertype         = "IPv6"
  remote_ip_prefix  = "::/0"
}

# AWS security group sg-0ca1000000001a003 (db) of vpc-0ca1000000000a001
resource "openstack_networking_secgroup_v2" "campus_db" {
  name                 = "db"
  description          = "PostgreSQL from the application servers (AWS sg-0ca1000000001a003)"
  delete_default_rules = true
}

resource "openstack_networking_secgroup_rule_v2" "campus_db_1" {
  security_group_id = openstack_networking_secgroup_v2.campus_db.id
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 5432
  port_range_max    = 5432
  remote_group_id   = openstack_networking_secgroup_v2.campus_app.id
}

resource "openstack_networking_secgroup_rule_v2" "campus_db_2" {
  security_group_id = openstack_networking_secgroup_v2.campus_db.id
  direction         = "ingress"
  ethertype         = "IPv6"
  protocol          = "tcp"
  port_range_min    = 5432
  port_range_max    = 5432
  remote_group_id   = openstack_networking_secgroup_v2.campus_app.id
}

resource "openstack_networking_secgroup_rule_v2" "campus_db_3" {
  security_group_id = openstack_networking_secgroup_v2.campus_db.id
  direction         = "egress"
  ethertype         = "IPv4"
  remote_ip_prefix  = "0.0.0.0/0"
}

# AWS security group sg-0ca1000000001a004 (gpu-lab) of vpc-0ca1000000000a001
resource "openstack_networking_secgroup_v2" "gpu_lab" {
  name                 = "gpu-lab"
  description          = "GPU lab workstations (AWS sg-0ca1000000001a004)"
  delete_default_rules = true
}

resource "openstack_networking_secgroup_rule_v2" "gpu_lab_1" {
  security_group_id = openstack_networking_secgroup_v2.gpu_lab.id
  direction         = "ingress"
  ethertype         = "IPv4"
  remote_ip_prefix  = "10.0.0.0/16"
}

resource "openstack_networking_secgroup_rule_v2" "gpu_lab_2" {
  security_group_id = openstack_networking_secgroup_v2.gpu_lab.id
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "icmp"
  port_range_min    = 8
  port_range_max    = 0
  remote_ip_prefix  = "172.16.0.0/12"
}

resource "openstack_networking_secgroup_rule_v2" "gpu_lab_3" {
  security_group_id = openstack_networking_secgroup_v2.gpu_lab.id
  direction         = "egress"
  ethertype         = "IPv4"
  remote_ip_prefix  = "0.0.0.0/0"
}
