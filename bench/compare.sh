#!/usr/bin/env bash
# sortie and rclone side by side on the same small objects between the same
# two MinIO servers on loopback, in one run; prints a Markdown table.
#   bench/compare.sh [-objects 10000] [-rounds 3]     (CASES="small noop" to choose)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/tools.sh
install minio "$MINIO_PKG"
install rclone "$RCLONE_PKG"
export SORTIE_MINIO="$tools/minio/minio" AWS_EC2_METADATA_DISABLED=true
mkdir -p bench/out
go build -o bench/out/sortie ./cmd/sortie
go build -o bench/out/compare ./bench/compare
for c in ${CASES:-small large noop change}; do
	bench/out/compare -case "$c" -sortie bench/out/sortie -rclone "$tools/rclone/rclone" "$@"
done
