#!/usr/bin/env bash
# sortie's own cost at scale, on generated stores (no servers): the
# 10-million-key diff, and the engine's memory as the object count grows.
# Each line is a process of its own, so its peak RSS is its own.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
go build -o bench/out/scale ./bench/scale
bench/out/scale -mode diff -keys 10000000 -change-every 100
for n in 100000 1000000; do
	bench/out/scale -mode copy -keys "$n" -size 1024
	bench/out/scale -mode copy -keys "$n" -size 1024 -journal
done
