#!/usr/bin/env bash
# In-memory vs database-served (`serve: database`, ST_AsMVT) on one PostGIS, side by side:
# tile rendering with the tile cache off, and a bbox item query, driven by wrk. One run.
#
# Starts a throwaway PostGIS cluster of its own, a release onemap on it with the sample data,
# and a twin of `illegal_buildings` (20,000 synthetic buildings with footprints) declared
# `serve: database` and filled with the same rows.
#   bench/postgis/run.sh [seconds-per-endpoint (default 10)] [connections (default 50)]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
secs="${1:-10}"; conns="${2:-50}"
scripts/setup.sh test
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo; $sudo apt-get install -y -qq wrk >/dev/null; }
cargo build --release --bin onemap --quiet
data=$(mktemp -d); log="$data/server.log"
export PG_CLUSTER_STATE="$data/pg.env"
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; scripts/pg-cluster.sh stop >/dev/null 2>&1 || true; rm -rf "$data"; }
trap cleanup EXIT
url_line=$(scripts/pg-cluster.sh start 2>/dev/null)
mkdir "$data/layers"
python3 - "$data/layers/illegal_buildings_db.json" <<'PY'
import json, sys
d = json.load(open("data/layers/illegal_buildings.json"))
d["id"] = "illegal_buildings_db"; d["title"] += "（数据库）"; d["serve"] = "database"
json.dump(d, open(sys.argv[1], "w"), ensure_ascii=False)
PY
env -u DATABASE_READ_URLS target/release/onemap serve --bind 127.0.0.1:0 --data "$data" --sample-data \
  --tile-cache-mb 0 --database-url "${url_line#DATABASE_URL=}" >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 1200); do
  url=$(sed -n 's/^onemap serving at \(http[^ ]*\)\/$/\1/p' "$log"); [ -n "$url" ] && break; sleep 0.1
done
[ -n "${url:-}" ] || { cat "$log"; exit 1; }
scripts/pg-cluster.sh psql -q <<'SQL'
INSERT INTO onemap.illegal_buildings_db OVERRIDING SYSTEM VALUE SELECT * FROM onemap.illegal_buildings;
INSERT INTO onemap.illegal_buildings_db_footprint SELECT * FROM onemap.illegal_buildings_footprint;
ANALYZE onemap.illegal_buildings_db;
SQL
for layer in illegal_buildings illegal_buildings_db; do
  python3 - "$layer" > "$data/$layer.txt" <<'PY'
import math, sys
def tile(lon, lat, z):
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
for z in range(11, 17):
    x0, y1 = tile(121.20, 30.85, z); x1, y0 = tile(121.75, 31.35, z)
    step = max(1, (x1 - x0) // 12)
    for x in range(x0, x1 + 1, step):
        for y in range(y0, y1 + 1, step):
            print(f"/tiles/{sys.argv[1]}/{z}/{x}/{y}.mvt")
PY
done
echo "features: $(curl -s "$url/layers" | python3 -c 'import json,sys; print({l["id"]: l["count"] for l in json.load(sys.stdin) if l["id"].startswith("illegal")})')"
echo "tiles per list: $(wc -l < "$data/illegal_buildings.txt") (z11-z16, tile cache off: every request renders)"
run() { echo "== $1"; shift; wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" | grep -E "Requests/sec|Latency|50%|99%|Non-2xx"; }
for layer in illegal_buildings illegal_buildings_db; do
  TILE_LIST="$data/$layer.txt" run "tiles of $layer" -s bench/http/tiles.lua "$url"
done
for layer in illegal_buildings illegal_buildings_db; do
  run "items of $layer: bbox + filter, 100 per page" "$url/collections/$layer/items?bbox=121.3,31.0,121.5,31.2&status=%E5%BE%85%E6%A0%B8%E6%9F%A5&limit=100"
done
