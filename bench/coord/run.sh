#!/usr/bin/env bash
# Side-by-side of onemap-coord (Rust) and the npm package gcoord (Node) on the same points:
# WGS84→GCJ-02, GCJ-02→WGS84, WGS84→BD-09, BD-09→WGS84. Runs each once and prints the timings,
# the speed ratio and the largest difference between the two libraries' outputs.
# Usage: bench/coord/run.sh [N]   (default 1,000,000 points; needs cargo, node and npm)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
n="${1:-1000000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$here" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
(cd "$root" && cargo run --release --quiet -p onemap-coord --example gcoord_compare -- "$work" "$n")
echo
node "$here/compare.js" "$work"
