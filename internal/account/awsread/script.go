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
# sortie assess — export an AWS account's inventory for an offline assessment.
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
  # CloudWatch's daily S3 storage metrics for this region's buckets.
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
`, dirBuckets, strings.Join(StorageTypes(), " "), fileInstances, fileVolumes, fileSnapshots, fileDatabases, fileFunctions, fileResources, fileFleets, fileStacks, fileWorkSpaces, fileFileSystems, fileMetricQueries, fileMetricData)
	_, err := io.WriteString(w, b.String())
	return err
}
