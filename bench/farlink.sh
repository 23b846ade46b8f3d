#!/usr/bin/env bash
# sortie and rclone side by side with the source behind a far link (40 ms
# round trip, 200 Mbit/s each way, simulated by a TCP proxy on 127.0.0.1)
# and the link's own ceiling, in one run; prints Markdown tables and ratios.
# Each request over the link is traced to bench/out/farlink-CASE.trace.
#   bench/farlink.sh [-rounds 3] [-objects 2000] [-large-mib 64]   (CASES="small large" to choose)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/tools.sh
install minio "$MINIO_PKG"
install rclone "$RCLONE_PKG"
export SORTIE_MINIO="$tools/minio/minio" AWS_EC2_METADATA_DISABLED=true
mkdir -p bench/out
go build -o bench/out/sortie ./cmd/sortie
go build -o bench/out/farlink ./bench/farlink
for c in ${CASES:-small large}; do
	bench/out/farlink -case "$c" -trace "bench/out/farlink-$c.trace" -sortie bench/out/sortie -rclone "$tools/rclone/rclone" "$@"
done
