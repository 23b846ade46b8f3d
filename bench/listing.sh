#!/usr/bin/env bash
# Listing speed on a real MinIO bucket: sequential against parallel ranges.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/tools.sh
install minio "$MINIO_PKG"
export SORTIE_MINIO="$tools/minio/minio" AWS_EC2_METADATA_DISABLED=true
go run ./bench/listing "$@"
