# Applies the module against a mock of the provider: ids are made up, so
# the references between resources can be checked as an apply sets them.
mock_provider "openstack" {}

run "creates" {
  command = apply

  assert {
    condition     = openstack_networking_subnet_v2.app_a.network_id == openstack_networking_network_v2.app.id
    error_message = "the subnet is not on the app network"
  }
  assert {
    condition     = openstack_networking_subnet_v2.app_a.cidr == "10.0.1.0/24"
    error_message = "the subnet's CIDR changed"
  }
  assert {
    condition     = openstack_networking_secgroup_rule_v2.app_from_web.remote_group_id == openstack_networking_secgroup_v2.web.id
    error_message = "the rule does not admit the web group"
  }
  assert {
    condition     = openstack_networking_secgroup_rule_v2.app_from_web.security_group_id == openstack_networking_secgroup_v2.app.id
    error_message = "the rule is not in the app group"
  }
}
