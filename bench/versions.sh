#!/usr/bin/env bash
# What a history copy costs: sortie copy against sortie copy --versions on
# the same versioned MinIO bucket, in one run; prints a Markdown table with
# the time ratio.
#   bench/versions.sh [-keys 1000] [-versions 4] [-rounds 3]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/tools.sh
install minio "$MINIO_PKG"
export SORTIE_MINIO="$tools/minio/minio" AWS_EC2_METADATA_DISABLED=true
mkdir -p bench/out
go build -o bench/out/sortie ./cmd/sortie
go run ./bench/versions -sortie bench/out/sortie "$@"
