package awsread

import "fmt"

// dnsExport is the part of the export script that exports Route 53 for
// sortie dns: the health checks, and per hosted zone one file per call.
// aws-cli reads every page of list-resource-record-sets itself; private
// zones are not signed, so get-dnssec is asked of public zones only
// (aws-cli prints a boolean as True or False).
func dnsExport() string {
	return fmt.Sprintf(`# Route 53, for sortie dns: the health checks, and per hosted zone its
# settings, every record set and (public zones) DNSSEC.
run %s aws route53 list-health-checks
while read -r zone private; do
  [ -n "${zone:-}" ] || continue
  zone=${zone#/hostedzone/}
  run %s aws route53 get-hosted-zone --id "$zone" < /dev/null
  run %s aws route53 list-resource-record-sets --hosted-zone-id "$zone" < /dev/null
  if [ "$private" != "True" ]; then
    run %s aws route53 get-dnssec --hosted-zone-id "$zone" < /dev/null
  fi
done < <(aws route53 list-hosted-zones --query 'HostedZones[].[Id,Config.PrivateZone]' --output text 2>/dev/null)

`, fileHealthChecks, zoneFile("$zone", fileHostedZone), zoneFile("$zone", fileRecordSets), zoneFile("$zone", fileDNSSEC))
}
