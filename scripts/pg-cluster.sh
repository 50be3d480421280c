#!/usr/bin/env bash
# A throwaway PostgreSQL + PostGIS cluster for tests: initdb into a temp dir, loopback only.
#
#   scripts/pg-cluster.sh start          start one (or reuse the running one); prints DATABASE_URL=...
#   scripts/pg-cluster.sh url            prints DATABASE_URL=... of the running cluster
#   scripts/pg-cluster.sh replica-start  adds a streaming hot standby; prints DATABASE_REPLICA_URL=...
#   scripts/pg-cluster.sh down           stops the primary but keeps it (an outage, for fault tests)
#   scripts/pg-cluster.sh up             starts it again on the same port after `down`
#   scripts/pg-cluster.sh stop           stops the cluster (and its standby) and removes its dir
#   scripts/pg-cluster.sh psql [ARGS]    psql on the primary's database, as its owner
#
# Only the KEY=value lines go to stdout, so `export $(scripts/pg-cluster.sh start)` works;
# progress and errors go to stderr. Needs the server packages (scripts/setup.sh test installs
# postgresql and postgresql-<major>-postgis-3). PostgreSQL refuses to run as root: as root the
# server runs as the system user `onemap-pg`, created on first use.
#
# The cluster's state file is $PG_CLUSTER_STATE (default: /tmp/onemap-pg-cluster-<uid>.env), so
# separate checkouts can each run their own by setting it.
set -euo pipefail

state=${PG_CLUSTER_STATE:-${TMPDIR:-/tmp}/onemap-pg-cluster-$(id -u).env}
db=onemap
superuser=onemap

log() { echo "pg-cluster: $*" >&2; }
die() { log "$*"; exit 1; }

bindir() {
  local major
  major=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
  [ -n "$major" ] && [ -x "/usr/lib/postgresql/$major/bin/initdb" ] ||
    die "no PostgreSQL server binaries under /usr/lib/postgresql/<major>/bin (run scripts/setup.sh test)"
  [ -f "/usr/share/postgresql/$major/extension/postgis.control" ] ||
    die "PostGIS is not installed for PostgreSQL $major (apt-get install postgresql-$major-postgis-3)"
  echo "/usr/lib/postgresql/$major/bin"
}

# Runs a command as the cluster's owner: ourselves, or onemap-pg when we are root.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u onemap-pg -- "$@"
  else
    "$@"
  fi
}

ensure_owner() {
  [ "$(id -u)" = 0 ] || return 0
  id onemap-pg >/dev/null 2>&1 ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin onemap-pg
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  die "no free loopback port found"
}

# Appends the test settings for a server at $1 listening on port $2.
configure() {
  local dir=$1 port=$2
  as_owner tee -a "$dir/data/postgresql.conf" >/dev/null <<EOF

# scripts/pg-cluster.sh: a throwaway test cluster
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/sock'
fsync = off
synchronous_commit = off
max_connections = 200
wal_level = replica
max_wal_senders = 5
hot_standby = on
logging_collector = off
EOF
}

start_server() {
  local bin=$1 dir=$2
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >&2 ||
    { cat "$dir/server.log" >&2 || true; return 1; }
}

url_for() { echo "postgres://$superuser:$PGPASSWORD_VALUE@127.0.0.1:$1/$db"; }

load_state() {
  [ -f "$state" ] || return 1
  # shellcheck disable=SC1090
  . "$state"
  [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ]
}

running() {
  load_state && as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1
}

cmd_start() {
  if running; then
    log "already running in $PG_DIR"
    echo "DATABASE_URL=$(url_for "$PG_PORT")"
    return
  fi
  [ -f "$state" ] && { log "stale state $state, removing"; rm -f "$state"; }
  local bin dir port pw
  bin=$(bindir)
  ensure_owner
  dir=$(mktemp -d "${TMPDIR:-/tmp}/onemap-pg.XXXXXX")
  chmod 700 "$dir"
  [ "$(id -u)" = 0 ] && chown onemap-pg: "$dir"
  as_owner mkdir -p "$dir/sock"
  pw=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)
  as_owner sh -c "umask 077; printf '%s\n' '$pw' > '$dir/pwfile'"
  as_owner "$bin/initdb" -D "$dir/data" -U "$superuser" --pwfile="$dir/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  as_owner rm -f "$dir/pwfile"
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    configure "$dir" "$port"
    if start_server "$bin" "$dir"; then break; fi
    log "start on port $port failed (attempt $attempt)"
    [ "$attempt" = 5 ] && die "could not start the server"
  done
  local psql=("$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/sock" -p "$port" -U "$superuser")
  as_owner "${psql[@]}" -d postgres -c "CREATE DATABASE $db" >&2
  as_owner "${psql[@]}" -d "$db" -c "CREATE EXTENSION IF NOT EXISTS postgis" >&2
  umask 077
  cat >"$state" <<EOF
PG_BIN=$bin
PG_DIR=$dir
PG_PORT=$port
PGPASSWORD_VALUE=$pw
EOF
  PGPASSWORD_VALUE=$pw
  log "running in $dir on 127.0.0.1:$port"
  echo "DATABASE_URL=$(url_for "$port")"
}

cmd_url() {
  running || die "no cluster running (scripts/pg-cluster.sh start)"
  echo "DATABASE_URL=$(url_for "$PG_PORT")"
}

cmd_replica_start() {
  running || die "no cluster running (scripts/pg-cluster.sh start)"
  if [ -n "${PG_REPLICA_PORT:-}" ] && as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/replica" status >/dev/null 2>&1; then
    echo "DATABASE_REPLICA_URL=$(url_for "$PG_REPLICA_PORT")"
    return
  fi
  local rdir=$PG_DIR/replica port
  as_owner rm -rf "$rdir" "$PG_DIR/replica-sock"
  as_owner mkdir -p "$PG_DIR/replica-sock"
  as_owner env PGPASSWORD="$PGPASSWORD_VALUE" "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" \
    -U "$superuser" -D "$rdir" -R -X stream -c fast >&2 || die "pg_basebackup failed"
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    as_owner tee -a "$rdir/postgresql.conf" >/dev/null <<EOF

# the hot standby
port = $port
unix_socket_directories = '$PG_DIR/replica-sock'
EOF
    if as_owner "$PG_BIN/pg_ctl" -D "$rdir" -l "$PG_DIR/replica.log" -w -t 60 start >&2; then break; fi
    cat "$PG_DIR/replica.log" >&2 || true
    [ "$attempt" = 5 ] && die "could not start the standby"
  done
  echo "PG_REPLICA_PORT=$port" >>"$state"
  log "hot standby of 127.0.0.1:$PG_PORT running on 127.0.0.1:$port"
  echo "DATABASE_REPLICA_URL=$(url_for "$port")"
}

cmd_down() {
  running || die "no cluster running (scripts/pg-cluster.sh start)"
  as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >&2
  log "primary on 127.0.0.1:$PG_PORT is down"
}

cmd_up() {
  load_state || die "no cluster state at $state (scripts/pg-cluster.sh start)"
  running && { log "already up"; return 0; }
  start_server "$PG_BIN" "$PG_DIR" || die "could not restart the primary"
  log "primary on 127.0.0.1:$PG_PORT is up again"
}

cmd_psql() {
  running || die "no cluster running (scripts/pg-cluster.sh start)"
  as_owner "$PG_BIN/psql" -X -v ON_ERROR_STOP=1 -h "$PG_DIR/sock" -p "$PG_PORT" -U "$superuser" -d "$db" "$@"
}

cmd_stop() {
  if ! load_state; then
    log "no cluster state at $state"
    rm -f "$state"
    return 0
  fi
  if [ -d "$PG_DIR/replica" ]; then
    as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/replica" -m immediate -w stop >&2 2>/dev/null || true
  fi
  as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >&2 || true
  case "$PG_DIR" in
    */onemap-pg.*) rm -rf "$PG_DIR" ;;
    *) log "not removing unexpected dir $PG_DIR" ;;
  esac
  rm -f "$state"
  log "stopped"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  url) cmd_url ;;
  replica-start) cmd_replica_start ;;
  down) cmd_down ;;
  up) cmd_up ;;
  psql) shift; cmd_psql "$@" ;;
  *) echo "usage: $0 start|stop|url|replica-start|down|up|psql" >&2; exit 2 ;;
esac
