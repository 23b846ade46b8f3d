# Written by sortie landing. Review, then: tofu init && tofu plan

terraform {
  required_version = ">= 1.6"
  required_providers {
    openstack = {
      source  = "terraform-provider-openstack/openstack"
      version = "~> 3.4"
    }
  }
}

# Configured by the OS_* environment or clouds.yaml (OS_CLOUD), as the openstack CLI is.
provider "openstack" {
}
