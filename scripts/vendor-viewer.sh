#!/usr/bin/env bash
# Installs the viewer's npm packages (api/viewer/package.json + package-lock.json, into
# api/viewer/node_modules, which is not served) and copies the files the browser needs into
# api/viewer/public/vendor/ (gitignored; served at /static/vendor/…):
#   api/viewer/public/vendor/maplibre-gl/{maplibre-gl.mjs,maplibre-gl-worker.mjs,maplibre-gl.css,LICENSE.txt}
#   api/viewer/public/vendor/fonts/{fontstack}/{start}-{end}.pbf   (SDF glyph ranges, fontstack "Noto Sans Regular")
# Idempotent: npm ci runs only when node_modules is missing or older than the lock file.
# Needs node + npm and the npm registry (or a warm npm cache). No other network access.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
viewer="$root/api/viewer"
vendor="$viewer/public/vendor"

cd "$viewer"
if [ ! -f package-lock.json ]; then
  npm install --no-audit --no-fund
elif [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

ml="$viewer/node_modules/maplibre-gl"
glyphs="$viewer/node_modules/tileserver-gl-styles/fonts"
for f in "$ml/dist/maplibre-gl.mjs" "$ml/dist/maplibre-gl-worker.mjs" "$ml/dist/maplibre-gl.css" "$glyphs/Noto Sans Regular/0-255.pbf"; do
  [ -f "$f" ] || { echo "vendor-viewer: missing $f (npm install incomplete?)" >&2; exit 1; }
done

# Build into a fresh temp dir, then swap it in, so a failed run never leaves a half-copied vendor dir.
tmp="$(mktemp -d "$viewer/public/.vendor.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/maplibre-gl" "$tmp/fonts"
# maplibre-gl >= 6 ships ES modules only; the main module loads maplibre-gl-worker.mjs
# from its own directory (new URL('./maplibre-gl-worker.mjs', import.meta.url)).
cp "$ml/dist/maplibre-gl.mjs" "$ml/dist/maplibre-gl-worker.mjs" "$ml/dist/maplibre-gl.css" "$ml/LICENSE.txt" "$tmp/maplibre-gl/"
# Strip the sourceMappingURL comments: the .map files are not vendored.
sed -i '/^\/\/# sourceMappingURL=/d' "$tmp/maplibre-gl/maplibre-gl.mjs" "$tmp/maplibre-gl/maplibre-gl-worker.mjs"
cp -R "$glyphs/." "$tmp/fonts/"
cp "$viewer/node_modules/tileserver-gl-styles/LICENSE.md" "$tmp/fonts/LICENSE-tileserver-gl-styles.md"
printf 'maplibre-gl %s\ntileserver-gl-styles %s (glyph PBFs)\n' \
  "$(node -p "require('$ml/package.json').version")" \
  "$(node -p "require('$viewer/node_modules/tileserver-gl-styles/package.json').version")" > "$tmp/VERSIONS"
chmod -R a+rX "$tmp"

rm -rf "$vendor"
mv "$tmp" "$vendor"
trap - EXIT
echo "vendor-viewer: $(cat "$vendor/VERSIONS" | tr '\n' ';') -> ${vendor#"$root"/}"
