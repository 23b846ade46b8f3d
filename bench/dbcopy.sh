#!/usr/bin/env bash
# sortie db copy against pg_dump -Fd -j4 | pg_restore -j4 and against
# pgcopydb clone, on one generated PostgreSQL database between the same
# two local clusters, in one run; then sortie db verify's rows per second.
#   bench/dbcopy.sh [MB]        (default 2048: a few GB with indexes)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v pgcopydb >/dev/null 2>&1 || [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends pgcopydb postgresql >/dev/null
fi
SORTIE_DBBENCH_MB="${1:-2048}" go test -run '^$' -bench BenchmarkMovePeers -benchtime 1x -timeout 120m ./internal/database/postgres/
