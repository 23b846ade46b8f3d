package awsread

import (
	"fmt"
	"io"
	"strings"
)

// WriteExportScript writes the read-only aws-cli script that fills an
// offline directory in the layout Offline reads. It only calls get, list and
// describe operations; the account's owner can read it before running it.
func WriteExportScript(w io.Writer) error {
	var b strings.Builder
	b.WriteString(`#!/usr/bin/env bash
# sortie assess — export an AWS account's inventory for an offline assessment
# (and its network estate, for sortie landing --offline, and its Route 53
# zones, for sortie dns --offline).
#
# Read-only: every call below is a get, list or describe. Run it with
# credentials that can read the account (the AWS managed policy
# ReadOnlyAccess is enough), then give the directory to
#     sortie assess --offline DIR
# Usage: bash export.sh DIR [REGION...]     (default: all enabled regions)
# Uses aws-cli v2 and the profile in AWS_PROFILE (or the default one).
set -u
out=${1:?usage: $0 DIR [REGION...]}
shift
mkdir -p "$out/s3"

# run NAME aws ARGS... — NAME.json on success, NAME.error (aws-cli's message) on failure
run() {
  local name=$1; shift
  mkdir -p "$(dirname "$out/$name")"
  if "$@" --output json > "$out/$name.json" 2> "$out/$name.error"; then
    rm -f "$out/$name.error"
  else
    rm -f "$out/$name.json"
    echo "  could not read $name: $(head -c 300 "$out/$name.error")" >&2
  fi
}

`)
	fmt.Fprintf(&b, "run %s aws sts get-caller-identity\n", fileIdentity)
	fmt.Fprintf(&b, "run %s aws ec2 describe-regions\n", fileRegions)
	fmt.Fprintf(&b, "run %s aws s3api list-buckets\n", fileBuckets)
	fmt.Fprintf(&b, "run %s aws iam get-account-authorization-details\n", fileIAM)
	fmt.Fprintf(&b, "run %s aws route53 list-hosted-zones\n", fileZones)
	fmt.Fprintf(&b, "run %s aws cloudfront list-distributions\n\n", fileDistributions)
	b.WriteString(dnsExport())
	fmt.Fprintf(&b, `if [ $# -gt 0 ]; then regions="$*"
else regions=$(aws ec2 describe-regions --query 'Regions[].RegionName' --output text); fi

# Per bucket: where it lives and its settings.
declare -A bucket_region
for bucket in $(aws s3api list-buckets --query 'Buckets[].Name' --output text); do
  d=%s/$bucket
  run $d/get-bucket-location aws s3api get-bucket-location --bucket "$bucket"
  loc=$(aws s3api get-bucket-location --bucket "$bucket" --query LocationConstraint --output text 2>/dev/null)
  case "$loc" in None|null|"") loc=us-east-1 ;; EU) loc=eu-west-1 ;; esac
  bucket_region[$bucket]=$loc
  for cmd in get-bucket-versioning get-bucket-lifecycle-configuration get-bucket-replication \
             get-bucket-encryption get-object-lock-configuration get-public-access-block \
             get-bucket-policy get-bucket-acl; do
    run $d/$cmd aws s3api $cmd --bucket "$bucket" --region "$loc"
  done
done

start=$(date -u -d '3 days ago' +%%Y-%%m-%%dT00:00:00Z 2>/dev/null || date -u -v-3d +%%Y-%%m-%%dT00:00:00Z)
end=$(date -u +%%Y-%%m-%%dT00:00:00Z)
storage_types="%s"

for r in $regions; do
  echo "region $r" >&2
  run $r/%s aws ec2 describe-instances --region $r
  run $r/%s aws ec2 describe-volumes --region $r
  run $r/%s aws ec2 describe-snapshots --owner-ids self --region $r
  run $r/%s aws rds describe-db-instances --region $r
  run $r/%s aws lambda list-functions --region $r
  run $r/%s aws resourcegroupstaggingapi get-resources --region $r
  # AppStream and WorkSpaces exist in some Regions only; elsewhere aws-cli
  # cannot reach an endpoint, which sortie reads as "none there".
  run $r/%s aws appstream describe-fleets --region $r
  run $r/%s aws appstream describe-stacks --region $r
  run $r/%s aws workspaces describe-workspaces --region $r
  run $r/%s aws efs describe-file-systems --region $r
%s  # CloudWatch's daily S3 storage metrics for this region's buckets.
  q="$out/$r/%s.json"; i=0; sep=""
  printf '[' > "$q"
  for bucket in "${!bucket_region[@]}"; do
    [ "${bucket_region[$bucket]}" = "$r" ] || continue
    j=0
    for st in $storage_types; do
      printf '%%s{"Id":"b%%d_%%d","MetricStat":{"Metric":{"Namespace":"AWS/S3","MetricName":"BucketSizeBytes","Dimensions":[{"Name":"BucketName","Value":"%%s"},{"Name":"StorageType","Value":"%%s"}]},"Period":86400,"Stat":"Average"}}' "$sep" $i $j "$bucket" "$st" >> "$q"
      sep=","; j=$((j+1))
    done
    printf ',{"Id":"b%%d_n","MetricStat":{"Metric":{"Namespace":"AWS/S3","MetricName":"NumberOfObjects","Dimensions":[{"Name":"BucketName","Value":"%%s"},{"Name":"StorageType","Value":"AllStorageTypes"}]},"Period":86400,"Stat":"Average"}}' $i "$bucket" >> "$q"
    i=$((i+1))
  done
  printf ']\n' >> "$q"
  if [ $i -gt 0 ]; then
    run $r/%s aws cloudwatch get-metric-data --region $r --start-time "$start" --end-time "$end" --metric-data-queries "file://$q"
  fi
done
echo "done: $out — now run: sortie assess --offline $out" >&2
`, dirBuckets, strings.Join(StorageTypes(), " "), fileInstances, fileVolumes, fileSnapshots, fileDatabases, fileFunctions, fileResources, fileFleets, fileStacks, fileWorkSpaces, fileFileSystems, networkExport(), fileMetricQueries, fileMetricData)
	_, err := io.WriteString(w, b.String())
	return err
}

// networkExport is the loop body that exports region $r's network estate,
// for sortie landing: one file per call, and per prefix list, load
// balancer and target group for the calls made once for each.
func networkExport() string {
	var b strings.Builder
	b.WriteString("  # The network estate, for sortie landing.\n")
	for _, c := range []struct{ file, cmd string }{
		{fileVPCs, "ec2 describe-vpcs"},
		{fileSubnets, "ec2 describe-subnets"},
		{fileRouteTables, "ec2 describe-route-tables"},
		{fileInternetGateways, "ec2 describe-internet-gateways"},
		{fileNATGateways, "ec2 describe-nat-gateways"},
		{fileSecurityGroups, "ec2 describe-security-groups"},
		{fileNetworkACLs, "ec2 describe-network-acls"},
		{filePrefixLists, "ec2 describe-managed-prefix-lists"},
		{fileKeyPairs, "ec2 describe-key-pairs --include-public-key"},
		{fileAddresses, "ec2 describe-addresses"},
		{fileOwnImages, "ec2 describe-images --owners self"},
		{fileLoadBalancers, "elbv2 describe-load-balancers"},
		{fileTargetGroups, "elbv2 describe-target-groups"},
	} {
		fmt.Fprintf(&b, "  run $r/%s aws %s --region $r\n", c.file, c.cmd)
	}
	fmt.Fprintf(&b, `  # The entries of the account's own prefix lists and of those shared with it.
  for pl in $(aws ec2 describe-managed-prefix-lists --region $r --query "PrefixLists[?OwnerId!='AWS'].PrefixListId" --output text 2>/dev/null); do
    run $r/%s/$pl aws ec2 get-managed-prefix-list-entries --prefix-list-id "$pl" --region $r
  done
  # The AMIs the instances run, which may be public or shared: filtered by
  # image-id, because naming a deregistered AMI fails the whole call.
  ids=$(aws ec2 describe-instances --region $r --query 'Reservations[].Instances[].ImageId' --output text 2>/dev/null | tr -s '[:space:]' '\n' | sort -u | paste -sd, -)
  if [ -n "$ids" ]; then
    run $r/%s aws ec2 describe-images --include-deprecated --filters "Name=image-id,Values=$ids" --region $r
  fi
  # Listeners per load balancer, targets per target group, in files named for them.
  while read -r name arn; do
    [ -n "${arn:-}" ] || continue
    run $r/%s/$name aws elbv2 describe-listeners --load-balancer-arn "$arn" --region $r < /dev/null
  done < <(aws elbv2 describe-load-balancers --region $r --query 'LoadBalancers[].[LoadBalancerName,LoadBalancerArn]' --output text 2>/dev/null)
  while read -r name arn; do
    [ -n "${arn:-}" ] || continue
    run $r/%s/$name aws elbv2 describe-target-health --target-group-arn "$arn" --region $r < /dev/null
  done < <(aws elbv2 describe-target-groups --region $r --query 'TargetGroups[].[TargetGroupName,TargetGroupArn]' --output text 2>/dev/null)
`, dirPrefixListEntries, fileImagesInUse, dirListeners, dirTargetHealth)
	return b.String()
}
