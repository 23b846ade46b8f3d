# Networks, subnets and routers: one network per AWS VPC.

# AWS VPC vpc-0ca1000000000a001 (10.0.0.0/16) in ca-central-1
resource "openstack_networking_network_v2" "campus" {
  name           = "campus"
  admin_state_up = true
}

# AWS subnet subnet-0ca1000000000b011 (ca-central-1a)
resource "openstack_networking_subnet_v2" "public_a" {
  name       = "public_a"
  network_id = openstack_networking_network_v2.campus.id
  cidr       = "10.0.0.0/24"
  ip_version = 4
}

# AWS subnet subnet-0ca1000000000b012 (ca-central-1b)
resource "openstack_networking_subnet_v2" "public_b" {
  name       = "public_b"
  network_id = openstack_networking_network_v2.campus.id
  cidr       = "10.0.1.0/24"
  ip_version = 4
}

# AWS subnet subnet-0ca1000000000b021 (ca-central-1a)
resource "openstack_networking_subnet_v2" "private_a" {
  name       = "private_a"
  network_id = openstack_networking_network_v2.campus.id
  cidr       = "10.0.10.0/24"
  ip_version = 4
}

# AWS subnet subnet-0ca1000000000b022 (ca-central-1b)
resource "openstack_networking_subnet_v2" "private_b" {
  name       = "private_b"
  network_id = openstack_networking_network_v2.campus.id
  cidr       = "10.0.11.0/24"
  ip_version = 4
}

# the internet access of AWS VPC vpc-0ca1000000000a001 (igw-0ca1000000000c001, nat-0ca1000000000e001)
resource "openstack_networking_router_v2" "campus" {
  name                = "campus"
  external_network_id = var.external_network_id
}

resource "openstack_networking_router_interface_v2" "public_a" {
  router_id = openstack_networking_router_v2.campus.id
  subnet_id = openstack_networking_subnet_v2.public_a.id
}

resource "openstack_networking_router_interface_v2" "public_b" {
  router_id = openstack_networking_router_v2.campus.id
  subnet_id = openstack_networking_subnet_v2.public_b.id
}

resource "openstack_networking_router_interface_v2" "private_a" {
  router_id = openstack_networking_router_v2.campus.id
  subnet_id = openstack_networking_subnet_v2.private_a.id
}

resource "openstack_networking_router_interface_v2" "private_b" {
  router_id = openstack_networking_router_v2.campus.id
  subnet_id = openstack_networking_subnet_v2.private_b.id
}

# AWS route table rtb-0ca1000000000f003: 172.16.0.0/12 via network-interface eni-0ca1000000007a002
resource "openstack_networking_router_route_v2" "campus_172_16_0_0_12" {
  router_id        = openstack_networking_router_v2.campus.id
  destination_cidr = "172.16.0.0/12"
  next_hop         = "10.0.10.10"
}
