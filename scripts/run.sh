#!/usr/bin/env bash
# Builds and starts onemap on the embedded GeoPackage store (./var) with the sample data,
# at http://127.0.0.1:8080/ unless ONEMAP_BIND says otherwise.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh build
scripts/vendor-viewer.sh
cargo build --release --bin onemap
# The embedded store even when the shell has a DATABASE_URL; pass --database-url to use PostGIS.
exec env -u DATABASE_URL -u DATABASE_READ_URLS target/release/onemap serve --sample-data "$@"
