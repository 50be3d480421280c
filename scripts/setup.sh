#!/usr/bin/env bash
# Installs what building and testing onemap needs, from Debian's packages, when it is missing.
#   scripts/setup.sh build   cmake, sqlite3 and libsqlite3-dev to build PROJ from the proj crate's source; node/npm
#   scripts/setup.sh test    the above, plus gdal-bin (ogrinfo), chromium, CJK fonts, PostGIS,
#                            cargo-nextest (the test runner) from crates.io, and a Python venv
#                            with the OpenAPI validator and Schemathesis (scripts/schemathesis.sh)
set -euo pipefail

want=(cmake sqlite3 libsqlite3-dev pkg-config nodejs npm)
if [ "${1:-build}" = test ]; then
  want+=(gdal-bin chromium fonts-noto-cjk postgresql-common python3-venv)
fi

missing=()
for p in "${want[@]}"; do
  case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# PostGIS for whichever PostgreSQL server major is installed (or the default one).
if [ "${1:-build}" = test ]; then
  major=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
  if [ -z "$major" ]; then
    missing+=(postgresql)
  elif ! dpkg-query -W -f='${Status}' "postgresql-$major-postgis-3" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("postgresql-$major-postgis-3")
  fi
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # postgresql itself was missing: now its PostGIS.
  if [[ " ${missing[*]} " == *" postgresql "* ]]; then
    major=$(ls /usr/lib/postgresql | sort -n | tail -1)
    $sudo apt-get install -y -qq --no-install-recommends "postgresql-$major-postgis-3" >/dev/null
  fi
fi

# The contract-test tools of scripts/schemathesis.sh, pinned, in a venv of their own.
if [ "${1:-build}" = test ]; then
  venv=${ONEMAP_VENV:-$HOME/.cache/onemap-venv}
  pins=(openapi-spec-validator==0.9.0 schemathesis==4.32.5)
  have=$("$venv/bin/pip" freeze 2>/dev/null || true)
  stale=0
  for pin in "${pins[@]}"; do grep -qxF "$pin" <<<"$have" || stale=1; done
  if [ $stale = 1 ]; then
    echo "setup: installing ${pins[*]} into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "${pins[@]}"
  fi
fi

# The test runner, built from crates.io when missing (once per machine, a few minutes).
if [ "${1:-build}" = test ] && ! cargo nextest --version >/dev/null 2>&1; then
  echo "setup: installing cargo-nextest"
  cargo install cargo-nextest --locked --quiet
fi
