#!/usr/bin/env bash
# Runs the whole test suite: formatting and lints, every crate's tests, the end-to-end
# HTTP tests, and the headless-Chromium viewer test against a real server with the sample data.
# Installs what it needs first (scripts/setup.sh test).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh test
scripts/vendor-viewer.sh

# A throwaway PostGIS cluster (primary + hot standby) for the PostGIS half of the store contract.
stop_pg() { scripts/pg-cluster.sh stop >/dev/null 2>&1 || true; }
export $(scripts/pg-cluster.sh start)
trap stop_pg EXIT
export $(scripts/pg-cluster.sh replica-start)

cargo fmt --all -- --check
# Crates depend one way only; the self-test shows the check fails on a back-edge.
scripts/check-layers.py
scripts/check-layers.py --self-test
cargo clippy --workspace --all-targets --quiet -- -D warnings
# Every test target and the `onemap` binary that the kill test (tests/tests/e2e/store.rs) and
# the viewer test below start, in one build. The test build turns on more features of shared
# libraries (through dev-dependencies and other members: sqlx, geozero, geo…), so a
# `cargo build --bin onemap` of its own would compile those libraries, and every workspace
# crate above them, a second time. nextest then finds everything built.
cargo build --workspace --bins --tests --examples --quiet
# cargo-nextest runs every test in a process of its own, as many at once as there are cores,
# and ends with one "Summary [...] N tests run: N passed" line; it does not run doctests.
cargo nextest run --workspace --no-fail-fast
cargo test --workspace --doc --quiet

# The viewer in a real browser, against a server with the sample data.
data=$(mktemp -d)
log="$data/server.log"
env -u DATABASE_URL -u DATABASE_READ_URLS target/debug/onemap serve --bind 127.0.0.1:0 --data "$data" --sample-data >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"; stop_pg' EXIT
for _ in $(seq 1 600); do
  url=$(sed -n 's/^onemap serving at \(http[^ ]*\)\/$/\1/p' "$log")
  [ -n "$url" ] && break
  kill -0 $pid 2>/dev/null || { cat "$log"; echo "server died" >&2; exit 1; }
  sleep 0.2
done
[ -n "${url:-}" ] || { cat "$log"; echo "server did not start" >&2; exit 1; }
ONEMAP_URL="$url" node --test api/viewer/test/viewer.test.mjs

# The same server against its own OpenAPI description: the document validates, and Schemathesis
# finds no 5xx and no answer the description contradicts (after the viewer test: it writes).
scripts/schemathesis.sh "$url"
