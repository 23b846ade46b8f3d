# A module whose plan must call the API: a data source is read at plan
# time, so the provider authenticates. tofutest's test uses it to show that
# such a plan fails and names the contact.
terraform {
  required_providers {
    openstack = {
      source  = "terraform-provider-openstack/openstack"
      version = "~> 3.4"
    }
  }
}

provider "openstack" {}

data "openstack_networking_network_v2" "external" {
  name = "public"
}
