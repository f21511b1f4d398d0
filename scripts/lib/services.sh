# shellcheck shell=bash
# Shared by scripts/test.sh and scripts/bench.sh (sourced, never run): installing Debian packages, a
# throw-away Redis and PostgreSQL on free loopback ports, and the environment that tells the tests and the
# benchmark where they are. docs/testing.md describes the variables. Every function returns its status
# explicitly: the caller's shell may have no errexit.
#
#   source scripts/lib/services.sh && np_services_start   # Redis and PostgreSQL for an interactive shell;
#   ...; np_services_stop                                 # stop them yourself when done

# The name log lines start with: the script that sourced this file.
np_log() { printf '%s: %s\n' "${NP_LOG_NAME:-services.sh}" "$*" >&2; }

np_is_root() { [ "$(id -u)" = 0 ]; }

# The PostgreSQL binaries: Debian's 15 when present, else the newest installed major version.
np_pg_bin() {
    if [ -n "${NOTIFYPUSH_PG_BIN:-}" ]; then
        printf '%s\n' "$NOTIFYPUSH_PG_BIN"
    elif [ -x /usr/lib/postgresql/15/bin/pg_ctl ]; then
        printf '%s\n' /usr/lib/postgresql/15/bin
    else
        local dirs=(/usr/lib/postgresql/*/bin) dir
        dir=$(printf '%s\n' "${dirs[@]}" | sort -V | tail -n 1)
        # Without a match the pattern stays as written, and is no folder.
        [ -d "$dir" ] && printf '%s\n' "$dir"
    fi
}

# The servers themselves: redis-server (with redis-cli) and PostgreSQL. Whatever else a script needs, it
# installs itself.
np_install_services() {
    local missing=()
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
    [ -n "$(np_pg_bin)" ] || missing+=(postgresql)
    # The postgresql package creates and may start a default cluster on 5432; the scripts never use it.
    np_apt_install "${missing[@]}"
}

# Installs the given Debian packages with apt-get (none given: nothing to do), or says how to when
# that is not allowed (NOTIFYPUSH_TEST_INSTALL=0, not root, no apt-get) and fails.
np_apt_install() {
    [ $# -eq 0 ] && return 0
    if [ "${NOTIFYPUSH_TEST_INSTALL:-1}" = 0 ] || ! np_is_root || ! command -v apt-get >/dev/null 2>&1; then
        np_log "missing: $*; install them (Debian: apt-get install $*) and run again"
        return 1
    fi
    np_log "installing $* with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || return 1
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null || return 1
}

# A TCP port on 127.0.0.1 nobody listens on now. Another process may still take it before
# the server binds it, so the start functions retry with a fresh port when binding fails.
np_free_port() {
    local port attempt
    for attempt in $(seq 1 100); do
        port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    np_log "no free TCP port found"
    return 1
}

np_redis_ping() {
    local port=$1 reply=""
    if command -v redis-cli >/dev/null 2>&1; then
        reply=$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null || true)
    else
        reply=$( { exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'PING\r\n' >&3 && IFS= read -r -t 2 line <&3 && printf '%s' "$line"; } 2>/dev/null || true)
    fi
    [[ "$reply" == *PONG* ]]
}

np_wait_for() {
    local what=$1 seconds=$2
    shift 2
    for _ in $(seq 1 $((seconds * 10))); do
        "$@" && return 0
        sleep 0.1
    done
    np_log "$what did not answer within ${seconds}s"
    return 1
}

np_start_redis() {
    local dir=$NP_TEST_DIR/redis attempt port
    mkdir -p "$dir" || return 1
    for attempt in 1 2 3 4 5; do
        port=$(np_free_port) || return 1
        # No persistence at all: a restart in an outage test starts empty, as after a failover.
        cat >"$dir/redis.conf" <<EOF
port $port
bind 127.0.0.1
protected-mode yes
save ""
appendonly no
daemonize yes
pidfile $dir/redis.pid
logfile $dir/redis.log
dir $dir
EOF
        if "$(command -v redis-server)" "$dir/redis.conf" \
            && np_wait_for "redis on port $port" 10 np_redis_ping "$port"; then
            NP_REDIS_PORT=$port
            return 0
        fi
        np_log "redis did not start on port $port (attempt $attempt):"
        tail -n 5 "$dir/redis.log" >&2 2>/dev/null || true
        np_stop_redis
    done
    return 1
}

np_stop_redis() {
    local dir=$NP_TEST_DIR/redis pid
    [ -f "$dir/redis.conf" ] || return 0
    if [ -n "${NP_REDIS_PORT:-}" ] && command -v redis-cli >/dev/null 2>&1; then
        redis-cli -h 127.0.0.1 -p "$NP_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    fi
    if [ -f "$dir/redis.pid" ]; then
        pid=$(cat "$dir/redis.pid" 2>/dev/null || true)
        if [ -n "$pid" ]; then
            kill "$pid" 2>/dev/null || true
        fi
    fi
}

# pg_ctl refuses to run as root, and tests run as whoever runs this script: the wrapper
# switches to the cluster's owner and always names the log file for start/restart.
np_write_pg_ctl_wrapper() {
    local wrapper=$1 bin=$2 data=$3 log=$4 owner=$5
    cat >"$wrapper" <<EOF
#!/usr/bin/env bash
# pg_ctl of the NotifyPush test cluster in $data (owner: $owner).
set -euo pipefail
args=(-D "$data")
case " \$* " in *" start "*|*" restart "*) args+=(-l "$log") ;; esac
if [ "\$(id -u)" = 0 ] && [ "$owner" != root ]; then
    exec runuser -u "$owner" -- "$bin/pg_ctl" "\${args[@]}" "\$@"
fi
exec "$bin/pg_ctl" "\${args[@]}" "\$@"
EOF
    chmod 755 "$wrapper"
}

np_pg_ready() {
    "$NP_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$1" -U postgres -d postgres
}

np_start_postgres() {
    local dir=$NP_TEST_DIR/postgres owner run=() attempt port
    NP_PG_BIN=$(np_pg_bin)
    owner=$(id -un)
    if np_is_root; then
        owner=postgres
        run=(runuser -u postgres --)
    fi
    [ -n "$NP_PG_BIN" ] || { np_log "PostgreSQL binaries not found"; return 1; }
    mkdir -p "$dir/data" "$dir/socket" && touch "$dir/postgres.log" || return 1
    chown -R "$owner" "$dir" && chmod 700 "$dir/data" || return 1

    "${run[@]}" "$NP_PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
    # Trust, but only on loopback and on the socket inside this temporary folder.
    cat >"$dir/data/pg_hba.conf" <<EOF
local all all trust
host  all all 127.0.0.1/32 trust
EOF
    np_write_pg_ctl_wrapper "$dir/pg_ctl" "$NP_PG_BIN" "$dir/data" "$dir/postgres.log" "$owner"

    for attempt in 1 2 3 4 5; do
        port=$(np_free_port) || return 1
        # Settings go into the data folder (not pg_ctl -o) so a test's restart gets the same ones.
        # Durability is pointless for a throw-away cluster; speed is not.
        cat >"$dir/data/postgresql.auto.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/socket'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
        chown "$owner" "$dir/data/postgresql.auto.conf"
        if "$dir/pg_ctl" -w -t 30 start >/dev/null 2>&1 \
            && np_wait_for "postgres on port $port" 30 np_pg_ready "$port"; then
            NP_PG_PORT=$port
            return 0
        fi
        np_log "postgres did not start on port $port (attempt $attempt):"
        tail -n 5 "$dir/postgres.log" >&2 2>/dev/null || true
        "$dir/pg_ctl" -m immediate -w stop >/dev/null 2>&1 || true
    done
    return 1
}

np_stop_postgres() {
    local dir=$NP_TEST_DIR/postgres
    [ -x "$dir/pg_ctl" ] || return 0
    [ -f "$dir/data/postmaster.pid" ] || return 0
    "$dir/pg_ctl" -m fast -w -t 20 stop >/dev/null 2>&1 \
        || "$dir/pg_ctl" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
}

# Starts a throw-away Redis and PostgreSQL (installing them first when missing) and exports where they are.
np_services_start() {
    np_install_services || return 1
    NP_TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/notifypush-test.XXXXXX") || return 1
    # The cluster's owner (postgres) must be able to reach its folder inside this one.
    chmod 755 "$NP_TEST_DIR"
    np_start_redis || { np_services_stop; return 1; }
    np_start_postgres || { np_services_stop; return 1; }

    export NOTIFYPUSH_TEST_REDIS="127.0.0.1:$NP_REDIS_PORT"
    export NOTIFYPUSH_TEST_REDIS_SERVER
    NOTIFYPUSH_TEST_REDIS_SERVER=$(command -v redis-server)
    export NOTIFYPUSH_TEST_REDIS_CLI
    NOTIFYPUSH_TEST_REDIS_CLI=$(command -v redis-cli || true)
    export NOTIFYPUSH_TEST_REDIS_CONF="$NP_TEST_DIR/redis/redis.conf"
    export NOTIFYPUSH_TEST_REDIS_SENTINEL
    NOTIFYPUSH_TEST_REDIS_SENTINEL=$(command -v redis-sentinel || true)
    export NOTIFYPUSH_TEST_POSTGRES="Host=127.0.0.1;Port=$NP_PG_PORT;Username=postgres;Database=postgres"
    export NOTIFYPUSH_TEST_PG_CTL="$NP_TEST_DIR/postgres/pg_ctl"
    export NOTIFYPUSH_TEST_PG_DATA="$NP_TEST_DIR/postgres/data"
    export NOTIFYPUSH_TEST_PG_BIN="$NP_PG_BIN"
    np_log "redis 127.0.0.1:$NP_REDIS_PORT, postgres 127.0.0.1:$NP_PG_PORT, files in $NP_TEST_DIR"
}

np_services_stop() {
    [ -n "${NP_TEST_DIR:-}" ] && [ -d "$NP_TEST_DIR" ] || return 0
    np_stop_redis
    np_stop_postgres
    rm -rf "$NP_TEST_DIR"
    NP_TEST_DIR=
}
