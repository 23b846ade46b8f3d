#!/usr/bin/env bash
# sortie's coordinator on one machine: the plain local copy (with its
# journal), then the same copy through the coordinator by 1, 2 and 3 sortie
# worker processes, against the same two MinIO servers and one PostgreSQL
# (Debian's 15, started by internal/pgtest) on loopback, in one run; prints
# Markdown tables of speeds, ratios and where the CPU went.
#   bench/coordinator.sh [-rounds 1] [-objects 5000] [-large 4] [-large-mib 32] [-partitions 24] [-max-workers 3]
# With -link (or LINK=1) the source is read through a simulated far link
# (bench/internal/link, on 127.0.0.1), 2,000 small objects by default:
#   LINK=1 bench/coordinator.sh -rounds 3      # same as bench/coordinator.sh -link -rounds 3 [-rtt 40ms] [-mbit 200]
set -euo pipefail
if [[ ${LINK:-0} != 0 ]]; then
	set -- -link "$@"
fi
cd "$(dirname "$0")/.."
. scripts/tools.sh
install minio "$MINIO_PKG"
export SORTIE_MINIO="$tools/minio/minio" AWS_EC2_METADATA_DISABLED=true
mkdir -p bench/out
go build -o bench/out/sortie ./cmd/sortie
# pgtest starts PostgreSQL for a testing.TB only, so the bench is a Go
# benchmark (never run by the test suite) that calls the command's code.
go test -run XXX -bench Scaling -benchtime 1x -count 1 -timeout 0 ./bench/coordinator \
	-args -sortie "$PWD/bench/out/sortie" "$@"
