# An invalid module: the subnet refers to a network that is not declared.
terraform {
  required_providers {
    openstack = {
      source  = "terraform-provider-openstack/openstack"
      version = "~> 3.4"
    }
  }
}

resource "openstack_networking_subnet_v2" "orphan" {
  network_id = openstack_networking_network_v2.missing.id
  cidr       = "10.9.0.0/24"
}
