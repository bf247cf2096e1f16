#!/usr/bin/env bash
# Runs the Server-Sent Events suite (cases/sse) against real SSE servers on loopback, one after
# the other, each with its known failures:
#
#   aiohttp     ci/sse/app_aiohttp.py    aiohttp's own HTTP server, web.StreamResponse
#   hypercorn   ci/sse/app_asgi.py       a plain ASGI app (no framework) on hypercorn (h11)
#   starlette   ci/sse/app_starlette.py  Starlette + sse-starlette's EventSourceResponse on hypercorn
#
# All three serve the `sse` capability's resources with the built-in target's bytes
# (ci/sse/sse_resources.py), so a difference in results is a difference in the HTTP layer.
#
#   ci/sse/run.sh [SERVER...]          (from anywhere; default: all three)
#
# Each server's failures, with a transcript each, are printed with its name in front; the
# servers' own logs are shown when a run fails.
#
# For each server: start it in its own process group on 127.0.0.1:PORT, wait (at most
# SSE_START_TIMEOUT seconds, default 10) until the port accepts connections, run
#   peerspec run cases/sse --target http://127.0.0.1:PORT --provides sse
#            --known-failures ci/sse/known-failures-SERVER.txt
# then stop the server (TERM to its process group, KILL after SSE_STOP_TIMEOUT seconds, default
# 5). Each run's summary line and wall time are printed; the script exits 1 if any run failed
# (a new failure, or a listed failure that now passes), 2 on a usage or setup error. Cleanup
# runs on every exit path, including errors and signals.
#
# Settings (environment):
#   PYTHON             the Python with aiohttp, hypercorn, starlette, sse-starlette installed
#                      (default: python3); ci/sse/requirements.txt pins the versions the
#                      known-failures files describe:
#                        python3 -m venv target/sse-venv
#                        target/sse-venv/bin/pip install -r ci/sse/requirements.txt
#                        PYTHON=target/sse-venv/bin/python ci/sse/run.sh
#   PEERSPEC           the peerspec binary (default: target/release/peerspec in the repository)
#   SSE_PORT_BASE      first port; servers use BASE, BASE+1, BASE+2 (default 18091)
#   SSE_RUN_TIMEOUT    upper bound for one peerspec run in seconds (default 300)
#   SSE_JUNIT_DIR      if set, write SERVER's JUnit report to DIR/sse-SERVER-junit.xml
#   SSE_KEEP_LOGS=1    keep the servers' logs (a temporary directory) instead of removing them
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
me=${0##*/}

die() { echo "$me: $*" >&2; exit 2; }

python=${PYTHON:-python3}
peerspec=${PEERSPEC:-$root/target/release/peerspec}
port_base=${SSE_PORT_BASE:-18091}
start_timeout=${SSE_START_TIMEOUT:-10}
stop_timeout=${SSE_STOP_TIMEOUT:-5}
run_timeout=${SSE_RUN_TIMEOUT:-300}
all_servers="aiohttp hypercorn starlette"

[ -x "$peerspec" ] || die "peerspec not found at $peerspec (cargo build --release, or set PEERSPEC)"
command -v "$python" >/dev/null 2>&1 || die "no Python at '$python' (set PYTHON)"
"$python" -c 'import aiohttp, hypercorn, starlette, sse_starlette' 2>/dev/null ||
    die "$python lacks aiohttp, hypercorn, starlette or sse-starlette (pip install -r ci/sse/requirements.txt)"
case $port_base in ''|*[!0-9]*) die "SSE_PORT_BASE must be a number, got '$port_base'" ;; esac

servers=${*:-$all_servers}
for s in $servers; do
    case " $all_servers " in *" $s "*) ;; *) die "unknown server '$s' (one of: $all_servers)" ;; esac
done

export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in ci/sse
logdir=$(mktemp -d "${TMPDIR:-/tmp}/peerspec-sse.XXXXXX") || die "cannot create a temporary directory"
server_pid=""
server_name=""

. "$here/../lib.sh"
ps_me=$me
PS_CMD_PID=""
port_open() { ps_port_open 127.0.0.1 "$1"; }

# Stops the running server: TERM to its process group (hypercorn has a worker process and a
# resource tracker), then KILL to the group after the timeout. Only the group started here.
stop_server() {
    ps_stop "$server_pid" "$stop_timeout" "$server_name"
    server_pid=""
}

cleanup() {
    ps_stop "$PS_CMD_PID" "$stop_timeout"
    PS_CMD_PID=""
    stop_server
    if [ "${SSE_KEEP_LOGS:-0}" = 1 ]; then
        echo "$me: kept logs in $logdir" >&2
    else
        rm -rf -- "$logdir"
    fi
}
trap cleanup EXIT
trap 'echo "$me: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM HUP

# Starts SERVER on PORT in ci/sse, in its own process group, output to its log.
start_server() {
    local name=$1 port=$2 cmd
    case $name in
        aiohttp)   cmd=("$python" app_aiohttp.py "$port") ;;
        hypercorn) cmd=("$python" -m hypercorn --bind "127.0.0.1:$port" --graceful-timeout 1 app_asgi:app) ;;
        starlette) cmd=("$python" -m hypercorn --bind "127.0.0.1:$port" --graceful-timeout 1 app_starlette:app) ;;
    esac
    ps_start_server "$logdir/$name.log" env -C "$here" "${cmd[@]}"
    server_pid=$PS_SERVER_PID
    server_name=$name
}

wait_for_port() {
    ps_wait_port 127.0.0.1 "$2" "$start_timeout" "$server_pid" "$1" "$logdir/$1.log"
}

cd "$root" || die "cannot enter $root"
failed=""
summary=""
i=0
for name in $all_servers; do
    port=$((port_base + i))
    i=$((i + 1))
    case " $servers " in *" $name "*) ;; *) continue ;; esac
    known="$here/known-failures-$name.txt"
    [ -f "$known" ] || die "missing $known"
    if port_open "$port"; then
        echo "$me: 127.0.0.1:$port already accepts connections; set SSE_PORT_BASE to free ports" >&2
        failed="$failed $name"
        continue
    fi
    start_server "$name" "$port"
    if ! wait_for_port "$name" "$port"; then
        stop_server
        failed="$failed $name"
        continue
    fi
    echo "$me: $name (pid $server_pid) listening on 127.0.0.1:$port" >&2

    junit=()
    if [ -n "${SSE_JUNIT_DIR:-}" ]; then
        mkdir -p "$SSE_JUNIT_DIR" && junit=(--junit "$SSE_JUNIT_DIR/sse-$name-junit.xml")
    fi
    out="$logdir/$name.peerspec.out"
    started=$(date +%s.%N)
    # In the background, so that a signal to this script interrupts `wait` at once and the trap
    # stops peerspec and the server (a foreground child would delay the trap until it ended).
    # hypercorn speaks HTTP/2 with prior knowledge on the same port: the h2 cases apply there.
    provides=sse
    case $name in hypercorn | starlette) provides=sse,h2 ;; esac
    ps_run "$run_timeout" "$peerspec" run cases/sse \
        --target "http://127.0.0.1:$port" --provides "$provides" \
        --known-failures "$known" --quiet "${junit[@]}" </dev/null >"$out" 2>&1
    status=$?
    wall=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    stop_server

    # The full report (every failure with its transcript), then one line for the summary.
    sed "s/^/[$name] /" "$out"
    line=$(grep -E '^case result:' "$out" | tail -n 1)
    [ "$status" = 124 ] && line="timed out after ${run_timeout}s"
    summary="$summary$(printf '%-10s exit %s  %6ss  %s' "$name" "$status" "$wall" "${line:-no summary line}")"$'\n'
    if [ "$status" != 0 ]; then
        ps_show_log "$logdir/$name.log" "$name"
        failed="$failed $name"
    fi
done

echo
echo "$me: summary (cases/sse; exit 0 = exactly the known failures):"
printf '%s' "$summary"
if [ -n "$failed" ]; then
    echo "$me: FAILED:$failed" >&2
    exit 1
fi
echo "$me: ok"
