# A small module for tofutest's own test: a network and its subnet, and a
# security group whose rule admits another group (remote_group_id), as
# the landing zone writes them.
terraform {
  required_version = ">= 1.6"
  required_providers {
    openstack = {
      source  = "terraform-provider-openstack/openstack"
      version = "~> 3.4"
    }
  }
}

provider "openstack" {}

resource "openstack_networking_network_v2" "app" {
  name           = "app"
  admin_state_up = true
}

resource "openstack_networking_subnet_v2" "app_a" {
  name       = "app-a"
  network_id = openstack_networking_network_v2.app.id
  cidr       = "10.0.1.0/24"
  ip_version = 4
}

resource "openstack_networking_secgroup_v2" "web" {
  name                 = "web"
  delete_default_rules = true
}

resource "openstack_networking_secgroup_v2" "app" {
  name                 = "app"
  delete_default_rules = true
}

resource "openstack_networking_secgroup_rule_v2" "app_from_web" {
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 8080
  port_range_max    = 8080
  remote_group_id   = openstack_networking_secgroup_v2.web.id
  security_group_id = openstack_networking_secgroup_v2.app.id
}
