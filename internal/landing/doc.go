// Package landing translates an AWS account's EC2 estate (account.Network)
// into an OpenTofu root module for terraform-provider-openstack: the
// landing zone an institution reviews, plans and applies at its new
// provider, with a loss report of what AWS has and the module does not.
//
// The translation is exact or it says so. Networks, subnets and CIDRs,
// routers and static routes, security groups rule by rule (group
// references become remote groups), machines with their ports, fixed IPs,
// groups, key pairs and volumes, and Elastic IPs become resources; what
// OpenStack cannot express the same way is listed with why. A security
// group never comes out wider than on AWS: a rule that cannot be expressed
// exactly is left out and listed (narrower), and Neutron's default egress
// rules are deleted so that only AWS's egress rules remain.
//
// Output is deterministic: the same account gives byte-identical files
// (resources in AWS ID order, names from Name tags made unique the same
// way every run). It is not for reading AWS (account/awsread) nor for
// running tofu (the operator does; tests do with real binaries).
package landing
