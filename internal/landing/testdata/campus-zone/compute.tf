# Machines: ports with their fixed IPs and groups, volumes, key pairs and
# floating IPs.

# AWS key pair campus-admin (key-0ca1000000005a001)
resource "openstack_compute_keypair_v2" "campus_admin" {
  name       = "campus-admin"
  public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB/DvrDhsAJ+t/dit/LCzfRZfdvMpI1WonmCAcOdkHaf campus-admin"
}

# AWS key pair lab-legacy (key-0ca1000000005a002)
resource "openstack_compute_keypair_v2" "lab_legacy" {
  name       = "lab-legacy"
  public_key = var.public_keys["lab_legacy"]
}

# AWS network interface eni-0ca1000000007a001 of i-0ca1000000008a001
resource "openstack_networking_port_v2" "moodle_app_0" {
  name               = "moodle_app_0"
  network_id         = openstack_networking_network_v2.campus.id
  admin_state_up     = true
  security_group_ids = [openstack_networking_secgroup_v2.campus_app.id]
  fixed_ip {
    subnet_id  = openstack_networking_subnet_v2.public_a.id
    ip_address = "10.0.0.10"
  }
  fixed_ip {
    subnet_id  = openstack_networking_subnet_v2.public_a.id
    ip_address = "10.0.0.11"
  }
}

# AWS Elastic IP 203.0.113.25 (eipalloc-0ca1000000006a001)
resource "openstack_networking_floatingip_v2" "moodle_app_0" {
  pool = var.external_network_name
}

resource "openstack_networking_floatingip_associate_v2" "moodle_app_0" {
  floating_ip = openstack_networking_floatingip_v2.moodle_app_0.address
  port_id     = openstack_networking_port_v2.moodle_app_0.id
}

# AWS network interface eni-0ca1000000007a002 of i-0ca1000000008a001
resource "openstack_networking_port_v2" "moodle_app_1" {
  name               = "moodle_app_1"
  network_id         = openstack_networking_network_v2.campus.id
  admin_state_up     = true
  security_group_ids = [openstack_networking_secgroup_v2.campus_app.id]
  fixed_ip {
    subnet_id  = openstack_networking_subnet_v2.private_a.id
    ip_address = "10.0.10.10"
  }
  allowed_address_pairs {
    ip_address = "172.16.0.0/12"
  }
}

# AWS volume vol-0ca100000000aa001 (gp3, 30 GiB), the root of i-0ca1000000008a001
resource "openstack_blockstorage_volume_v3" "moodle_app_root" {
  name     = "moodle_app_root"
  size     = 30
  image_id = var.images["moodle_app"]
}

# AWS instance i-0ca1000000008a001 (t3.large, Linux/UNIX) in ca-central-1a
resource "openstack_compute_instance_v2" "moodle_app" {
  name        = "moodle_app"
  flavor_name = var.flavours["moodle_app"]
  key_pair    = openstack_compute_keypair_v2.campus_admin.name
  block_device {
    uuid                  = openstack_blockstorage_volume_v3.moodle_app_root.id
    source_type           = "volume"
    destination_type      = "volume"
    boot_index            = 0
    delete_on_termination = false
  }
  network {
    port = openstack_networking_port_v2.moodle_app_0.id
  }
  network {
    port = openstack_networking_port_v2.moodle_app_1.id
  }
}

# AWS volume vol-0ca100000000aa002 (gp3, 200 GiB) at /dev/sdf of i-0ca1000000008a001
resource "openstack_blockstorage_volume_v3" "moodle_app_sdf" {
  name = "moodle_app_sdf"
  size = 200
}

resource "openstack_compute_volume_attach_v2" "moodle_app_sdf" {
  instance_id = openstack_compute_instance_v2.moodle_app.id
  volume_id   = openstack_blockstorage_volume_v3.moodle_app_sdf.id
}

# AWS network interface eni-0ca1000000007a003 of i-0ca1000000008a002
resource "openstack_networking_port_v2" "gpu_lab_win_0" {
  name               = "gpu_lab_win_0"
  network_id         = openstack_networking_network_v2.campus.id
  admin_state_up     = true
  security_group_ids = [openstack_networking_secgroup_v2.gpu_lab.id]
  fixed_ip {
    subnet_id  = openstack_networking_subnet_v2.private_b.id
    ip_address = "10.0.11.20"
  }
}

# AWS volume vol-0ca100000000aa003 (gp3, 100 GiB), the root of i-0ca1000000008a002
resource "openstack_blockstorage_volume_v3" "gpu_lab_win_root" {
  name     = "gpu_lab_win_root"
  size     = 100
  image_id = var.images["gpu_lab_win"]
}

# AWS instance i-0ca1000000008a002 (g4dn.xlarge, Windows) in ca-central-1b
resource "openstack_compute_instance_v2" "gpu_lab_win" {
  name        = "gpu_lab_win"
  flavor_name = var.flavours["gpu_lab_win"]
  power_state = "shutoff"
  key_pair    = openstack_compute_keypair_v2.lab_legacy.name
  block_device {
    uuid                  = openstack_blockstorage_volume_v3.gpu_lab_win_root.id
    source_type           = "volume"
    destination_type      = "volume"
    boot_index            = 0
    delete_on_termination = false
  }
  network {
    port = openstack_networking_port_v2.gpu_lab_win_0.id
  }
}
