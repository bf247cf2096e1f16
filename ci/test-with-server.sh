#!/usr/bin/env bash
# Tests ci/with-server.sh for real (run by .ci/run): a Python http.server as the user's server,
# a few peerspec cases as the command. Checks that the command's exit status comes back, that
# the server is stopped afterwards (its port closed) on success, failure, a server that never
# starts, and SIGTERM, and that every wait is bounded.
#
#   ci/test-with-server.sh            (PEERSPEC: the binary, default target/release/peerspec;
#                                      WITH_SERVER_TEST_PORT: default 18121)
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
peerspec=${PEERSPEC:-target/release/peerspec}
port=${WITH_SERVER_TEST_PORT:-18121}
me=${0##*/}
[ -x "$peerspec" ] || { echo "$me: no peerspec at $peerspec" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-with-server.XXXXXX") || exit 2
trap 'rm -rf -- "$tmp"' EXIT
failures=0
check() { # NAME EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then echo "$me: ok: $1"; else echo "$me: FAILED: $1 (expected $2, got $3)" >&2; failures=$((failures + 1)); fi
}
port_closed() { if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo open; else echo closed; fi; }
server="exec python3 -m http.server $port --bind 127.0.0.1 --directory ci/nginx/www"

# 1. A passing run: the HTTP/1.0 cases (Python's server speaks HTTP/1.0), the seed files served.
ci/with-server.sh --server "$server" --wait "127.0.0.1:$port" -- \
    "$peerspec" run --target "http://127.0.0.1:$port" --only http/1.0 --provides seed-files \
    --quiet --junit "$tmp/junit.xml" >"$tmp/out" 2>&1
check "a passing run exits 0" 0 $?
grep -q "case result: ok" "$tmp/out" || { cat "$tmp/out" >&2; check "summary line" ok missing; }
check "JUnit report written" yes "$([ -s "$tmp/junit.xml" ] && echo yes || echo no)"
check "server stopped after a passing run" closed "$(port_closed)"

# 2. A failing case: its exit status (1) comes back.
printf 'id: with-server/wrong-status\nprotocol: http/1.0\nsteps:\n  - send: { request: { target: /main.html } }\n  - expect: { response: { status: 201 } }\n' >"$tmp/fail.yaml"
ci/with-server.sh --server "$server" --wait "127.0.0.1:$port" -- "$peerspec" run "$tmp/fail.yaml" --target "http://127.0.0.1:$port" --quiet >"$tmp/out" 2>&1
check "a failing run exits 1" 1 $?
check "server stopped after a failing run" closed "$(port_closed)"

# 3. A server that exits at once: status 2, said why, without waiting out the timeout.
start=$SECONDS
ci/with-server.sh --server 'echo "cannot bind" >&2; exit 3' --wait "127.0.0.1:$port" --timeout 20 -- true >"$tmp/out" 2>&1
check "a server that exits first gives 2" 2 $?
grep -q "exited with status 3" "$tmp/out" && grep -q "cannot bind" "$tmp/out"
check "the reason and the server log are shown" 0 $?
check "no waiting for the timeout" yes "$([ $((SECONDS - start)) -lt 10 ] && echo yes || echo no)"

# 4. A server that never opens its port: status 2 after --timeout, and the server is stopped.
start=$SECONDS
ci/with-server.sh --server 'echo $$ > '"$tmp"'/never.pid; exec sleep 60' --wait "127.0.0.1:$port" --timeout 1 -- true >"$tmp/out" 2>&1
check "a server that never listens gives 2" 2 $?
grep -q "did not accept connections" "$tmp/out"
check "the timeout is said" 0 $?
check "bounded by --timeout" yes "$([ $((SECONDS - start)) -lt 8 ] && echo yes || echo no)"
pid=$(cat "$tmp/never.pid" 2>/dev/null)
check "the silent server was stopped" gone "$([ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo alive || echo gone)"

# 5. SIGTERM while the command runs: the command and the server are stopped, status 143.
ci/with-server.sh --server "$server" --wait "127.0.0.1:$port" -- sleep 30 >"$tmp/out" 2>&1 &
runner=$!
for _ in $(seq 100); do [ "$(port_closed)" = open ] && break; sleep 0.05; done
sleep 0.2
kill -TERM "$runner"
wait "$runner"
check "SIGTERM gives 143" 143 $?
check "server stopped after SIGTERM" closed "$(port_closed)"

# 6. Usage errors.
ci/with-server.sh --server true -- true >/dev/null 2>&1
check "--wait is required" 2 $?
ci/with-server.sh --wait 127.0.0.1:$port >/dev/null 2>&1
check "a command is required" 2 $?

[ "$failures" = 0 ] && echo "$me: all checks passed" || { echo "$me: $failures check(s) failed" >&2; exit 1; }
