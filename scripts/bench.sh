#!/usr/bin/env bash
# Runs one benchmark scenario of NotifyPush (docs/benchmarks.md):
#
#   bash scripts/bench.sh idle          # 18,000 sockets on one replica: RSS per socket
#   bash scripts/bench.sh steady        # 10,000 sockets on two replicas, 1,000/s: POST->receipt latency
#   bash scripts/bench.sh throughput    # as many durable notifications per second as are accepted
#   bash scripts/bench.sh fanout        # one POST to 10,000 users: time to the last delivery
#   bash scripts/bench.sh storm         # 10,000 sockets dropped and resumed with since
#   bash scripts/bench.sh scale         # 10,000 sockets on 4 replicas, its own Redis Cluster and PostgreSQL primary +
#                                       # synchronous standby; a Redis master, then the primary, killed (docs/scaling.md)
#   bash scripts/bench.sh scale --redis sentinel   # the same on a Sentinel-monitored master and replica
#   bash scripts/bench.sh steady --rate 2000 --duration 20    # options go to the tool (--help lists them)
#   bash scripts/bench.sh steady --peer gorilla               # a peer from bench/peers instead (built first)
#   bash scripts/bench.sh compare [scenario...] [options]     # NotifyPush and every peer, one table (default idle steady throughput)
#
# compare builds the peers (bench/peers/README.md) into artifacts/peers, installing their Debian
# packages with apt-get when missing (set NOTIFYPUSH_TEST_INSTALL=0 to forbid that), runs each
# scenario (default: idle steady throughput) against notifypush and each peer one after another with the
# same options, and prints one markdown table, also written to bench-results/compare-<time>/table.md.
#
# Builds the server and the tool in Release, starts a throw-away Redis and PostgreSQL with
# scripts/lib/services.sh (installing only those two when missing; unless NOTIFYPUSH_TEST_REDIS and
# NOTIFYPUSH_TEST_POSTGRES point at running ones), switches that PostgreSQL to durable commits (fsync, synchronous_commit and
# full_page_writes on: the test suite turns them off for speed) and stops everything at the end. The CPU
# the results give Redis and PostgreSQL is then that of these two servers alone (NOTIFYPUSH_BENCH_REDIS_PID,
# NOTIFYPUSH_BENCH_POSTGRES_PID; set them for servers of your own, or every such process on the machine counts).
# scale starts its own servers on free ports instead (redis-server, redis-cli, redis-sentinel and PostgreSQL's
# initdb/pg_ctl/pg_basebackup, installed with apt-get when missing) and needs no shared Redis or PostgreSQL.
# Results: bench-results/<scenario>-<run>.json and one summary line on stdout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
NP_LOG_NAME=bench.sh
# shellcheck source=scripts/lib/services.sh
source scripts/lib/services.sh

bench_durable_postgres() {
    local psql=psql
    [ -x "$(np_pg_bin)/psql" ] && psql="$(np_pg_bin)/psql"
    "$psql" -q -h 127.0.0.1 -p "$NP_PG_PORT" -U postgres -d postgres \
        -c "ALTER SYSTEM SET fsync = on" \
        -c "ALTER SYSTEM SET synchronous_commit = on" \
        -c "ALTER SYSTEM SET full_page_writes = on" \
        -c "SELECT pg_reload_conf()" >/dev/null
}

# The peers compare measures, in table order after notifypush, and the Debian packages that build them.
BENCH_PEERS=(gorilla signalr centrifuge)
BENCH_PEER_PACKAGES=(golang-go golang-github-gorilla-websocket-dev golang-github-gomodule-redigo-dev
    golang-github-centrifugal-centrifuge-dev golang-github-fzambia-eagle-dev golang-github-mna-redisc-dev
    golang-github-igm-sockjs-go-dev golang-github-centrifugal-protocol-dev)

bench_install_peer_packages() {
    local missing=() package
    for package in "${BENCH_PEER_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    np_apt_install "${missing[@]}"
}

# Builds every peer into artifacts/peers (git-ignored): the Go ones offline in GOPATH mode from
# Debian's library packages, the SignalR one with dotnet (it is not in NotifyPush.sln).
bench_build_peers() {
    bench_install_peer_packages || return 1
    local out="$PWD/artifacts/peers" peer
    mkdir -p "$out"
    for peer in gorilla centrifuge; do
        (cd "bench/peers/$peer" && GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOFLAGS='' \
            GOCACHE="$out/go-build-cache" go build -o "$out/$peer" .) || return 1
    done
    dotnet build -c Release bench/peers/signalr -o "$out/signalr" -nologo -v q >/dev/null || return 1
}

# compare [scenario...] [options]: the scenarios are the leading words, the options go to every run.
bench_compare() {
    local scenarios=() options=() dir target scenario
    while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do scenarios+=("$1"); shift; done
    options=("$@")
    [ ${#scenarios[@]} -gt 0 ] || scenarios=(idle steady throughput)
    bench_build_peers
    dir="bench-results/compare-$(date -u +%Y%m%d%H%M%S)"
    mkdir -p "$dir"
    for scenario in "${scenarios[@]}"; do
        for target in notifypush "${BENCH_PEERS[@]}"; do
            # A failed run is a row of the table, not the end of the comparison.
            dotnet src/NotifyPush.Bench/bin/Release/net10.0/NotifyPush.Bench.dll "$scenario" --peer "$target" \
                --out "$dir/$target" "${options[@]}" || np_log "$scenario --peer $target failed (exit $?)"
        done
    done
    dotnet src/NotifyPush.Bench/bin/Release/net10.0/NotifyPush.Bench.dll table "$dir" | tee "$dir/table.md"
}

# The servers the scale scenario starts itself: Redis (with redis-cli and redis-sentinel) and PostgreSQL.
bench_scale_prerequisites() {
    local missing=()
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
    command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)
    [ -n "$(np_pg_bin)" ] || missing+=(postgresql)
    np_apt_install "${missing[@]}"
}

bench_main() {
    [ $# -ge 1 ] || { echo "usage: bash scripts/bench.sh <idle|steady|throughput|fanout|storm|smoke|scale|compare> [options]" >&2; return 2; }
    dotnet build -c Release src/NotifyPush.Server -nologo -v q >/dev/null
    dotnet build -c Release src/NotifyPush.Bench -nologo -v q >/dev/null

    if [ "$1" = scale ]; then
        bench_scale_prerequisites
        dotnet src/NotifyPush.Bench/bin/Release/net10.0/NotifyPush.Bench.dll "$@"
        return
    fi

    if [ -z "${NOTIFYPUSH_TEST_REDIS:-}" ] || [ -z "${NOTIFYPUSH_TEST_POSTGRES:-}" ]; then
        trap np_services_stop EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        np_services_start
        bench_durable_postgres
        # The bench reads these servers' CPU alone, not every Redis and PostgreSQL on the machine.
        export NOTIFYPUSH_BENCH_REDIS_PID NOTIFYPUSH_BENCH_POSTGRES_PID
        NOTIFYPUSH_BENCH_REDIS_PID=$(cat "$NP_TEST_DIR/redis/redis.pid" 2>/dev/null || true)
        NOTIFYPUSH_BENCH_POSTGRES_PID=$(head -n 1 "$NP_TEST_DIR/postgres/data/postmaster.pid" 2>/dev/null || true)
    fi

    if [ "$1" = compare ]; then
        shift
        bench_compare "$@"
        return
    fi

    dotnet src/NotifyPush.Bench/bin/Release/net10.0/NotifyPush.Bench.dll "$@"
}

bench_main "$@"
