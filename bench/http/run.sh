#!/usr/bin/env bash
# HTTP load benchmark: starts a release onemap with the sample data on loopback and drives it
# with wrk (Debian package) for a bounded time per endpoint. One run; prints requests/s and latency.
#   bench/http/run.sh [seconds-per-endpoint (default 10)] [connections (default 50)]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
secs="${1:-10}"; conns="${2:-50}"
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo; $sudo apt-get install -y -qq wrk >/dev/null; }
cargo build --release --bin onemap --quiet
data=$(mktemp -d); log="$data/server.log"
target/release/onemap serve --bind 127.0.0.1:0 --data "$data" --sample-data >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 600); do
  url=$(sed -n 's/^onemap serving at \(http[^ ]*\)\/$/\1/p' "$log"); [ -n "$url" ] && break; sleep 0.1
done
[ -n "${url:-}" ] || { cat "$log"; exit 1; }
layers="districts,townships,forest_stands,forest_patches,patrol_tracks,illegal_buildings,video_points"
# Every tile at z10-z15 around the suburbs' centre, in a fixed order.
python3 - "$layers" > "$data/tiles.txt" <<'PY'
import math, sys
layers = sys.argv[1]
def tile(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y
for z in range(10, 16):
    x0, y1 = tile(121.20, 30.85, z); x1, y0 = tile(121.75, 31.35, z)
    step = max(1, (x1 - x0) // 12)
    for x in range(x0, x1 + 1, step):
        for y in range(y0, y1 + 1, step):
            print(f"/tiles/{layers}/{z}/{x}/{y}.mvt")
PY
echo "tiles in the list: $(wc -l < "$data/tiles.txt")"
run() { echo "== $1"; shift; wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" | grep -E "Requests/sec|Latency|50%|99%|Non-2xx"; }
# Cold: the first pass renders (cache misses); warm: served from the tile cache.
TILE_LIST="$data/tiles.txt" run "tiles, composite of all 7 layers (first pass renders, then cached)" -s bench/http/tiles.lua "$url"
TILE_LIST="$data/tiles.txt" run "tiles, warm cache" -s bench/http/tiles.lua "$url"
run "items: bbox + filter, 100 per page" "$url/collections/illegal_buildings/items?bbox=121.3,31.0,121.5,31.2&status=%E5%BE%85%E6%A0%B8%E6%9F%A5&limit=100"
run "feature by id" "$url/collections/video_points/items/42"
run "coord convert sh2000 -> gcj02 (GET)" "$url/coord/convert?from=sh2000&to=gcj02&x=623.956&y=-559.735"
curl -s "$url/health"; echo
