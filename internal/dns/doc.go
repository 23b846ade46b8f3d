// Package dns writes Route 53 hosted zones (account.DNS) as RFC 1035 master
// files that any DNS server loads, with a loss report of what Route 53 holds
// and a plain zone file cannot: routing policies, health checks, aliases to
// AWS resources at the apex, private zones' VPC bindings, DNSSEC.
//
// Every record is built and checked with miekg/dns, never by string
// pasting, so a value Route 53 accepted and a master file cannot hold is
// caught here, named, and left out — never written half-right. Aliases to
// records of the same zone are flattened to the values they resolve to,
// chains followed and loops refused; routing is downgraded in a documented
// way (weighted, latency, multivalue and IP-based: every value, round
// robin; failover: the primary; geolocation and geoproximity: the default
// set), each downgrade a line of the report.
//
// Each zone also has a PowerDNS variant (pdns.go) that keeps weighted,
// failover and geolocation routing as LUA records, for PowerDNS's bind
// backend.
//
// It is not for reading Route 53 (account/awsread) nor for serving zones.
package dns
