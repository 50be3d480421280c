#!/usr/bin/env bash
# Import benchmark: a CSV of N SYNTHETIC illegal-building rows (default 1,000,000; generated
# here, deterministic) imported into an empty release onemap over HTTP, first `validate`, then
# `commit`, each as a background job polled until done. One run; prints rows/s per phase, the
# upload size and the server's peak resident memory.
#   bench/import/run.sh [rows (default 1000000)]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
rows="${1:-1000000}"
cargo build --release --bin onemap --quiet
data=$(mktemp -d); log="$data/server.log"
target/release/onemap serve --bind 127.0.0.1:0 --data "$data" --max-import-mb 4096 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 600); do
  url=$(sed -n 's/^onemap serving at \(http[^ ]*\)\/$/\1/p' "$log"); [ -n "$url" ] && break; sleep 0.1
done
[ -n "${url:-}" ] || { cat "$log"; exit 1; }
# Points on a grid over Pudong's centre, 5 m apart: a dense layer, so the duplicate check has
# neighbours to score (every row is within the 50 m buffer of others already stored).
python3 - "$rows" > "$data/rows.csv" <<'PY'
import sys
n = int(sys.argv[1])
kinds, statuses, sources = ["新增", "存量"], ["待核查", "已核查", "整改中"], ["网格化", "12345", "普查"]
w = sys.stdout.write
w("code,kind,status,address,district_code,source,lon,lat,area_m2,found_on\n")
for i in range(n):
    x, y = 121.50 + (i % 2000) * 0.00005, 31.20 + (i // 2000) * 0.00005
    w(f"WZ310115{i:08d},{kinds[i % 2]},{statuses[i % 3]},浦东新区合成路{i % 9999 + 1}号,310115,{sources[i % 3]},{x:.6f},{y:.6f},{i % 900 + 10},2026-0{i % 9 + 1}-15\n")
PY
echo "rows: $rows, file: $(du -h "$data/rows.csv" | cut -f1)"
job() { # mode -> prints seconds and the job's result
  local start end loc
  start=$(date +%s.%N)
  loc=$(curl -s -D - -o /dev/null -X POST --data-binary @"$data/rows.csv" \
    "$url/collections/illegal_buildings/import?format=csv&mode=$1&async=true&on_error=skip" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  [ -n "$loc" ] || { echo "no job started"; cat "$log"; exit 1; }
  while :; do
    st=$(curl -s "$url$loc")
    case "$(echo "$st" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" in
      running) sleep 0.5 ;;
      succeeded) break ;;
      *) echo "$st"; exit 1 ;;
    esac
  done
  end=$(date +%s.%N)
  echo "$st" | python3 -c "
import json, sys
j = json.load(sys.stdin); r = j['result']; secs = $end - $start
print(f\"== $1: {secs:.1f} s including upload, {int($rows / secs):,} rows/s; rows {r['rows']:,}, new {r['new']:,}, invalid {r['invalid']}, dedup hits {r['dedup_total']:,}, created {r.get('created_total', 0):,}\")"
}
job validate
job commit
echo "server peak RSS: $(grep VmHWM /proc/$pid/status | awk '{print $2/1024 " MiB"}')"
