#!/usr/bin/env bash
# Plays a newcomer's first hour: a fresh clone of this repository in a temporary directory, the
# README's install and its two commands, every quick-start command against real local peers
# (nginx, Python's http.server, a websockets echo server, curl as a client), each checked against
# the exit status the README documents; then, from another directory, a mistyped path (exit 2),
# a dead target (exit 2 within a second, one message) and a silent one (exit 2 within seconds).
#
#   ci/newcomer.sh                      (from anywhere; clones the repository this script is in)
#
# Settings (environment):
#   NEWCOMER_TARGET_DIR  CARGO_TARGET_DIR of the clone's builds. Default: this checkout's target/,
#                        shared with the main build so the clone's `cargo install` and
#                        `cargo test` rebuild only the peerspec crate, not its dependencies.
#                        (The clone's install writes target/release/peerspec from the same
#                        commit's source.)
#   DOCS_PORT_BASE       first of the ports the example peers use (default 18400; ci/docs/peers.sh)
#   NEWCOMER_REV         what to clone (default HEAD: the committed state, as a newcomer gets it)
#   NEWCOMER_SKIP_TESTS=1  leave out the README's `cargo test --locked` (said in the output; for
#                        trying this script on a busy machine, never in CI)
#
# `cargo install` goes to a temporary CARGO_INSTALL_ROOT, put first on PATH, so the README's
# command runs as written without touching ~/.cargo/bin. Every command is bounded (blocks.py:
# 180 s, 2400 s for builds); the logs of the README's commands are kept in
# reports/newcomer/, one file per command (the run against Python's http.server among them).
# Exit status: 0 all as documented, 1 something was not, 2 the set-up failed.
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ps_me=newcomer.sh
. "$root/ci/lib.sh"
. "$root/ci/docs/peers.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/peerspec-newcomer.XXXXXX") || exit 2
cleanup() { docs_peers_stop; rm -rf -- "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

failures=0
fail() { echo "$ps_me: FAILED: $*" >&2; failures=$((failures + 1)); }
say() { echo "$ps_me: $*" >&2; }

# 1. A fresh clone.
clone=$tmp/peerspec
git clone -q "$root" "$clone" || { echo "$ps_me: git clone failed" >&2; exit 2; }
git -C "$clone" checkout -q "$(git -C "$root" rev-parse "${NEWCOMER_REV:-HEAD}")" || exit 2
say "cloned $(git -C "$clone" log -1 --format='%h %s') into $clone"

export CARGO_TARGET_DIR=${NEWCOMER_TARGET_DIR:-$root/target}
export CARGO_INSTALL_ROOT=$tmp/cargo
export PATH="$CARGO_INSTALL_ROOT/bin:$PATH"
export NO_COLOR=1

# 2. The README, top to bottom: install, the two commands, every quick start (the `git clone`
# line is the one above). The peers stand where the README says they are.
docs_peers_start "$tmp/peers" || exit 2
logs=$root/reports/newcomer
rm -rf -- "$logs"
NGINX_RUN_TIMEOUT=3600 "$root/ci/nginx/run.sh" "$DOCS_NGINX_PORT" -- \
    python3 "$root/ci/docs/blocks.py" --marks clone,plain,peers --cwd "$clone" --port-map "$DOCS_PORT_MAP" \
    --log "$logs" ${NEWCOMER_SKIP_TESTS:+--skip "cargo test --locked"} "$clone/README.md" || fail "a README command did not do as documented (above; logs in reports/newcomer/)"

peerspec=$CARGO_INSTALL_ROOT/bin/peerspec
[ -x "$peerspec" ] || { fail "the README's install put no peerspec in $CARGO_INSTALL_ROOT/bin"; exit 1; }

# 3. From another directory, a mistyped path is a usage error, never a filter that selects nothing.
elsewhere=$tmp/elsewhere
mkdir -p "$elsewhere"
expect_usage_error() {
    local out status
    out=$(cd "$elsewhere" && timeout 60 "$peerspec" "$@" 2>&1) && status=0 || status=$?
    if [ "$status" = 2 ]; then
        say "ok: peerspec $* exits 2: $(printf '%s\n' "$out" | head -n 1)"
    else
        fail "peerspec $* from another directory exited $status, not 2:"
        printf '%s\n' "$out" | tail -n 10 >&2
    fi
}
expect_usage_error run cases/ws --target "ws://127.0.0.1:$DOCS_WS_PORT/"
expect_usage_error run does-not-exist.yaml
expect_usage_error run ./nope/

# 4. A dead target: one message, exit 2, within a second.
if ps_port_open 127.0.0.1 "$DOCS_DEAD_PORT"; then
    fail "127.0.0.1:$DOCS_DEAD_PORT accepts connections: it cannot stand for a dead target"
else
    start=$(date +%s%N)
    out=$(cd "$elsewhere" && timeout 60 "$peerspec" run --target "http://127.0.0.1:$DOCS_DEAD_PORT" 2>&1) && status=0 || status=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    lines=$(printf '%s\n' "$out" | grep -c .)
    if [ "$status" != 2 ]; then
        fail "a dead target: exit $status, not 2"
    elif [ "$ms" -gt 1000 ]; then
        fail "a dead target: exit 2 after $ms ms, not within a second"
    elif [ "$lines" -lt 1 ] || [ "$lines" -gt 2 ] || printf '%s\n' "$out" | grep -qE '^case |FAILED'; then
        fail "a dead target: $lines lines of output, not one message"
    else
        say "ok: a dead target exits 2 after $ms ms: $out"
    fi
    [ "$status" = 2 ] && [ "$ms" -le 1000 ] && [ "$lines" -le 2 ] || printf '%s\n' "$out" | tail -n 10 >&2
fi

# 5. A target that accepts and never answers: one message and exit 2 too, in seconds, not a
# failure per case after each one's timeout. (The listener holds at most 120 s.)
ps_start_server "$tmp/silent.log" python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64); s.settimeout(1); held = []; end = time.time() + 120
while time.time() < end:
    try: held.append(s.accept()[0])
    except socket.timeout: pass
' "$DOCS_SILENT_PORT"
silent_pid=$PS_SERVER_PID
if ps_wait_port 127.0.0.1 "$DOCS_SILENT_PORT" 20 "$silent_pid" "the silent listener" "$tmp/silent.log"; then
    start=$(date +%s%N)
    out=$(cd "$elsewhere" && timeout 60 "$peerspec" run --target "http://127.0.0.1:$DOCS_SILENT_PORT" 2>&1) && status=0 || status=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    lines=$(printf '%s\n' "$out" | grep -c .)
    if [ "$status" = 2 ] && [ "$ms" -le 10000 ] && [ "$lines" -le 2 ]; then
        say "ok: a silent target exits 2 after $ms ms: $out"
    else
        fail "a silent target: exit $status after $ms ms, $lines lines (documented: exit 2, one message, within seconds)"
        printf '%s\n' "$out" | tail -n 10 >&2
    fi
else
    fail "the silent listener did not start"
fi
ps_stop "$silent_pid" 5

if [ "$failures" -gt 0 ]; then
    say "$failures check(s) failed"
    exit 1
fi
say "a newcomer's first hour went as the README says"
