// Package assess builds an exit plan for an AWS account: from the account
// model (internal/account, read by account/awsread) and the bill
// (internal/bill), a plan of volumes, costs, time and where each resource
// lands, with its prices and its report.
//
// It reads the account; it does not read AWS, and it imports no other
// exit deliverable (policy, the landing zone, DNS, databases).
package assess
