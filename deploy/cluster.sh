#!/usr/bin/env bash
# A production-shaped portal on one machine, on 127.0.0.1 only (make cluster / make cluster-stop):
#
#   nginx :8080 ──┬── gunicorn :8101 ──┬── PostgreSQL primary :5434 (run/cluster/primary)
#                 └── gunicorn :8102 ──┤        │ streaming replication
#                                      ├── PostgreSQL replica :5435 (run/cluster/replica)
#                                      └── Redis :6380 (cache, export rate limits)
#
# Every part is the cluster's own (its own PostgreSQL clusters and Redis), so stopping any of them in
# the drills never touches the machine's shared PostgreSQL (:5432) or Redis (:6379). Each process's pid is
# written to run/cluster/<name>.pid, and stopping stops exactly those pids.
#
#   deploy/cluster.sh start | stop | status
#   deploy/cluster.sh start-<part> | stop-<part>     part: primary replica redis app-8101 app-8102 nginx
#   deploy/cluster.sh manage <manage.py arguments>   with the app servers' settings
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUN="$ROOT/run/cluster"
BIN="$ROOT/.venv/bin"
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
NGINX_PORT="${CLUSTER_NGINX_PORT:-8080}"
APP_PORTS="${CLUSTER_APP_PORTS:-8101 8102}"
PRIMARY_PORT="${CLUSTER_PRIMARY_PORT:-5434}"
REPLICA_PORT="${CLUSTER_REPLICA_PORT:-5435}"
REDIS_PORT="${CLUSTER_REDIS_PORT:-6380}"
DB="${CLUSTER_DB:-portal_cluster}"

# initdb and postgres refuse to run as root: as root, run them as the postgres user.
if [ "$(id -u)" = 0 ]; then AS_PG=(runuser -u postgres --); PG_OWNER=postgres; else AS_PG=(); PG_OWNER="$(id -un)"; fi

# The PostgreSQL data folders live in run/cluster/ unless the postgres user cannot reach it (a clone
# inside a folder only root may enter): then in a folder of /var/tmp named after this clone.
PGROOT="$RUN"
mkdir -p "$RUN"
if [ "${#AS_PG[@]}" -gt 0 ] && ! "${AS_PG[@]}" test -x "$RUN"; then
    PGROOT="/var/tmp/portal-cluster-$(echo "$ROOT" | md5sum | cut -c1-12)"
    mkdir -p "$PGROOT"; chmod 755 "$PGROOT"
fi

log() { echo "cluster: $*"; }

# ---------------------------------------------------------------- pids

# The pid in run/cluster/$1.pid if that process is alive and its command line contains $2 (so a pid
# reused by another program after a reboot is never signalled).
live_pid() {
    local file="$RUN/$1.pid" pid
    [ -s "$file" ] || return 1
    pid="$(head -n1 "$file")"
    [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$2" || return 1
    echo "$pid"
}

# stop_pid NAME MARKER SIGNAL: signal exactly that pid, wait up to 30 s for it to end, then KILL it.
stop_pid() {
    local pid
    if ! pid="$(live_pid "$1" "$2")"; then rm -f "$RUN/$1.pid"; return 0; fi
    log "stopping $1 (pid $pid, SIG$3)"
    kill "-$3" "$pid"
    for _ in $(seq 300); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    if [ -d "/proc/$pid" ]; then log "$1 still running after 30 s: SIGKILL"; kill -KILL "$pid"; fi
    rm -f "$RUN/$1.pid"
}

wait_for() { # wait_for WHAT COMMAND...: up to 30 s
    local what="$1"; shift
    for _ in $(seq 60); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
    log "$what did not come up; see the logs in $RUN"; return 1
}

# ---------------------------------------------------------------- PostgreSQL

pg_dir() { mkdir -p "$PGROOT/$1"; chown "$PG_OWNER" "$PGROOT/$1"; chmod 700 "$PGROOT/$1"; }

# The primary needs wal_level replica (or logical) and a replication entry in pg_hba.conf: check what
# is there and add only what is missing, so running this again changes nothing.
ensure_replication_allowed() {
    local data="$PGROOT/primary"
    if ! grep -Eq '^[[:space:]]*host[[:space:]]+replication[[:space:]]+(all|postgres)[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$data/pg_hba.conf"; then
        log "adding a replication entry for postgres@127.0.0.1 to the primary's pg_hba.conf"
        echo "host replication postgres 127.0.0.1/32 trust  # make cluster: the replica" >>"$data/pg_hba.conf"
    fi
    if ! grep -Eq "^[[:space:]]*wal_level[[:space:]]*=[[:space:]]*'?(replica|logical)" "$data/postgresql.conf"; then
        echo "wal_level = replica  # make cluster" >>"$data/postgresql.conf"
    fi
}

start_primary() {
    if live_pid primary "$PGROOT/primary" >/dev/null; then return 0; fi
    if [ ! -s "$PGROOT/primary/PG_VERSION" ]; then
        log "initdb $PGROOT/primary"
        pg_dir primary
        "${AS_PG[@]}" "$PGBIN/initdb" -D "$PGROOT/primary" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
        cat >>"$PGROOT/primary/postgresql.conf" <<EOF
# make cluster: its own primary, on 127.0.0.1 only, no Unix socket (nothing to clash with the main server's)
listen_addresses = '127.0.0.1'
port = $PRIMARY_PORT
unix_socket_directories = ''
wal_level = replica
max_wal_senders = 5
wal_keep_size = '256MB'
shared_buffers = '128MB'
EOF
    fi
    ensure_replication_allowed
    pg_dir pglog
    "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$PGROOT/primary" -l "$PGROOT/pglog/primary.log" -w -t 30 start >/dev/null
    head -n1 "$PGROOT/primary/postmaster.pid" >"$RUN/primary.pid"
    log "primary PostgreSQL on 127.0.0.1:$PRIMARY_PORT (pid $(cat "$RUN/primary.pid"))"
}

start_replica() {
    if live_pid replica "$PGROOT/replica" >/dev/null; then return 0; fi
    if [ ! -s "$PGROOT/replica/PG_VERSION" ]; then
        log "pg_basebackup -R from the primary into $PGROOT/replica"
        pg_dir replica
        "${AS_PG[@]}" "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$PGROOT/replica" -R -X stream -c fast
        cat >>"$PGROOT/replica/postgresql.auto.conf" <<EOF
# make cluster: the replica's own port; long exports on it are not cancelled by the primary's vacuum
port = $REPLICA_PORT
hot_standby = on
hot_standby_feedback = on
EOF
    fi
    "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$PGROOT/replica" -l "$PGROOT/pglog/replica.log" -w -t 30 start >/dev/null
    head -n1 "$PGROOT/replica/postmaster.pid" >"$RUN/replica.pid"
    log "replica PostgreSQL on 127.0.0.1:$REPLICA_PORT (pid $(cat "$RUN/replica.pid"))"
}

# SIGINT is PostgreSQL's fast shutdown: open transactions are rolled back, clients disconnected.
stop_primary() { stop_pid primary "$PGROOT/primary" INT; }
stop_replica() { stop_pid replica "$PGROOT/replica" INT; }

psql_primary() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres "$@"; }

# ---------------------------------------------------------------- Redis

start_redis() {
    if live_pid redis "$REDIS_PORT" >/dev/null; then return 0; fi
    command -v redis-server >/dev/null || (apt-get update -qq && apt-get install -y -qq redis-server)
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --daemonize yes \
        --dir "$RUN" --pidfile "$RUN/redis.pid" --logfile "$RUN/redis.log"
    wait_for "Redis" redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping
    log "Redis on 127.0.0.1:$REDIS_PORT (pid $(cat "$RUN/redis.pid"))"
}
stop_redis() { stop_pid redis "$REDIS_PORT" TERM; }

# ---------------------------------------------------------------- the app servers

app_env() {
    export DJANGO_SETTINGS_MODULE=devolution_portal.settings.production SECURE_TRANSPORT=false
    SECRET_KEY="$(cat "$ROOT/run/secret_key")"
    export SECRET_KEY
    export DATABASE_URL="postgres://postgres@127.0.0.1:$PRIMARY_PORT/$DB"
    export DATABASE_REPLICA_URL="postgres://postgres@127.0.0.1:$REPLICA_PORT/$DB"
    export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
    export ALLOWED_HOSTS="127.0.0.1,localhost" CSRF_TRUSTED_ORIGINS="http://127.0.0.1:$NGINX_PORT,http://localhost:$NGINX_PORT"
    # One proxy (nginx) in front: lock-outs count the address it forwards.
    export AXES_PROXY_COUNT=1
    # Every client of this cluster is 127.0.0.1 (the drills, wrk): the export limit would count them as one.
    export EXPORT_RATE_LIMIT="${EXPORT_RATE_LIMIT:-0}"
    # Two app servers on 2 cores: 2 workers x 4 threads each.
    export WEB_CONCURRENCY="${WEB_CONCURRENCY:-2}" GUNICORN_RUN_DIR="$RUN"
}

prepare_database() {
    if [ "$(psql_primary -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB'" postgres)" != 1 ]; then
        psql_primary -c "CREATE DATABASE $DB" postgres
    fi
    (app_env && cd "$ROOT" && "$BIN/python" manage.py collectstatic --noinput -v0 &&
        "$BIN/python" manage.py migrate --noinput -v0 && "$BIN/python" manage.py load_portal_data >/dev/null)
}

start_app() { # start_app PORT
    local port="$1"
    if live_pid "app-$port" gunicorn >/dev/null; then return 0; fi
    # exec: the background subshell becomes gunicorn's master, so $! is the master's pid.
    (app_env && cd "$ROOT" && export PORT="$port" HOST=127.0.0.1 && exec setsid "$BIN/gunicorn" devolution_portal.wsgi) \
        >>"$RUN/app-$port.log" 2>&1 </dev/null &
    echo $! >"$RUN/app-$port.pid"
    wait_for "app server :$port" curl -sf -o /dev/null "http://127.0.0.1:$port/robots.txt"
    log "app server on 127.0.0.1:$port (pid $(cat "$RUN/app-$port.pid"))"
}
stop_app() { stop_pid "app-$1" gunicorn TERM; }

# ---------------------------------------------------------------- nginx

install_nginx() {
    command -v nginx >/dev/null && return 0
    log "installing Debian's nginx"
    # Keep the package from starting its own nginx on port 80: a policy-rc.d that says no, removed
    # afterwards only if we made it.
    local made_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; made_policy=1; fi
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
    if [ -n "$made_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
}

start_nginx() {
    if live_pid nginx "$RUN/nginx.conf" >/dev/null; then return 0; fi
    install_nginx
    mkdir -p "$RUN/nginx-tmp"
    local servers="" policy
    for port in $APP_PORTS; do servers+="        server 127.0.0.1:$port max_fails=0;"$'\n'; done
    policy="$(cd "$ROOT" && app_env && "$BIN/python" -c 'from django.conf import settings; import django; django.setup(); print(settings.PERMISSIONS_POLICY)')"
    awk -v root="$ROOT" -v run="$RUN" -v port="$NGINX_PORT" -v servers="$servers" -v policy="$policy" '
        /@UPSTREAM_SERVERS@/ { printf "%s", servers; next }
        { gsub(/@ROOT@/, root); gsub(/@RUN@/, run); gsub(/@NGINX_PORT@/, port); gsub(/@PERMISSIONS_POLICY@/, policy); print }
    ' "$ROOT/deploy/nginx.conf.template" >"$RUN/nginx.conf"
    nginx -q -t -c "$RUN/nginx.conf" -p "$RUN/"
    nginx -c "$RUN/nginx.conf" -p "$RUN/"
    wait_for "nginx" test -s "$RUN/nginx.pid"
    log "nginx on 127.0.0.1:$NGINX_PORT (pid $(cat "$RUN/nginx.pid"))"
}
# SIGQUIT: nginx's graceful shutdown (finishes the requests in flight).
stop_nginx() { stop_pid nginx "$RUN/nginx.conf" QUIT; }

# ---------------------------------------------------------------- all of it

start() {
    mkdir -p "$RUN"; chmod 755 "$ROOT/run" "$RUN"
    [ -s "$ROOT/run/secret_key" ] || make -C "$ROOT" -s run/secret_key
    start_primary
    start_replica
    start_redis
    prepare_database
    for port in $APP_PORTS; do start_app "$port"; done
    start_nginx
    log "up: http://127.0.0.1:$NGINX_PORT/"
}

stop() {
    stop_nginx
    for port in $APP_PORTS; do stop_app "$port"; done
    stop_redis
    stop_replica
    stop_primary
}

status() {
    local all=0 name marker
    for entry in "primary|$PGROOT/primary" "replica|$PGROOT/replica" "redis|$REDIS_PORT" \
        $(for p in $APP_PORTS; do echo "app-$p|gunicorn"; done) "nginx|$RUN/nginx.conf"; do
        name="${entry%%|*}"; marker="${entry#*|}"
        if pid="$(live_pid "$name" "$marker")"; then echo "$name: running (pid $pid)"; else echo "$name: stopped"; all=1; fi
    done
    return $all
}

case "${1:-}" in
    start | stop | status) "$1" ;;
    start-primary | start-replica | start-redis | start-nginx | stop-primary | stop-replica | stop-redis | stop-nginx)
        mkdir -p "$RUN"; "${1/-/_}" ;;
    manage) shift; app_env; cd "$ROOT"; exec "$BIN/python" manage.py "$@" ;;  # manage.py as the app servers run it
    start-app-* | stop-app-*) action="${1%%-app-*}"; "${action}_app" "${1##*-app-}" ;;
    *) echo "usage: $0 start|stop|status|start-<part>|stop-<part> (primary replica redis nginx app-<port>)" >&2; exit 2 ;;
esac
