# What only the operator knows. terraform.tfvars holds placeholders that
# let tofu plan run; replace them before tofu apply.

variable "external_network_id" {
  type        = string
  description = "ID of the provider's external (public) network, for the routers' gateways: openstack network list --external"
}

variable "external_network_name" {
  type        = string
  description = "name of the same external network, the pool floating IPs come from"
}

variable "images" {
  type        = map(string)
  description = "Glance image ID to boot each machine from, by machine name (the AWS AMI is in the comment): its disk's contents move in a later step"
}

variable "flavours" {
  type        = map(string)
  description = "flavour of each machine: the SCS flavour that holds its AWS type; override where the provider names them otherwise"
  default = {
    gpu_lab_win = "SCS-4V-16"
    moodle_app  = "SCS-2V-8"
  }
}

variable "public_keys" {
  type        = map(string)
  description = "public keys AWS did not return, by key pair name"
  default     = {}
}
