#!/usr/bin/env bash
# Runs one benchmark scenario of NotifyPush (docs/benchmarks.md):
#
#   bash scripts/bench.sh idle          # 18,000 sockets on one replica: RSS per socket
#   bash scripts/bench.sh steady        # 10,000 sockets on two replicas, 1,000/s: POST->receipt latency
#   bash scripts/bench.sh throughput    # as many durable notifications per second as are accepted
#   bash scripts/bench.sh fanout        # one POST to 10,000 users: time to the last delivery
#   bash scripts/bench.sh storm         # 10,000 sockets dropped and resumed with since
#   bash scripts/bench.sh steady --rate 2000 --duration 20    # options go to the tool (--help lists them)
#
# Builds the server and the tool in Release, starts a throw-away Redis and PostgreSQL with
# scripts/test.sh's functions (unless NOTIFYPUSH_TEST_REDIS and NOTIFYPUSH_TEST_POSTGRES point at
# running ones), switches that PostgreSQL to durable commits (fsync, synchronous_commit and
# full_page_writes on: the test suite turns them off for speed) and stops everything at the end.
# Results: bench-results/<scenario>-<run>.json and one summary line on stdout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/test.sh
source scripts/test.sh

bench_durable_postgres() {
    local psql=psql
    [ -x "$(np_pg_bin)/psql" ] && psql="$(np_pg_bin)/psql"
    "$psql" -q -h 127.0.0.1 -p "$NP_PG_PORT" -U postgres -d postgres \
        -c "ALTER SYSTEM SET fsync = on" \
        -c "ALTER SYSTEM SET synchronous_commit = on" \
        -c "ALTER SYSTEM SET full_page_writes = on" \
        -c "SELECT pg_reload_conf()" >/dev/null
}

bench_main() {
    [ $# -ge 1 ] || { echo "usage: bash scripts/bench.sh <idle|steady|throughput|fanout|storm|smoke> [options]" >&2; return 2; }
    dotnet build -c Release src/NotifyPush.Server -nologo -v q >/dev/null
    dotnet build -c Release src/NotifyPush.Bench -nologo -v q >/dev/null

    if [ -z "${NOTIFYPUSH_TEST_REDIS:-}" ] || [ -z "${NOTIFYPUSH_TEST_POSTGRES:-}" ]; then
        trap np_services_stop EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        np_services_start
        bench_durable_postgres
    fi

    dotnet src/NotifyPush.Bench/bin/Release/net10.0/NotifyPush.Bench.dll "$@"
}

bench_main "$@"
