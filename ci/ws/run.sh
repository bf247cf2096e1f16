#!/usr/bin/env bash
# Runs the WebSocket suite (cases/ws and the seed exchange) against real WebSocket servers:
# Python `websockets`, aiohttp and Node `ws` echo servers from this folder, each on its own
# loopback port.
# Each run must fail exactly the cases listed (with reasons) in known-failures-<peer>.txt.
#
#   ci/ws/run.sh [PEERSPEC]        (default ./target/release/peerspec; needs python3 with
#                                   `websockets` and `aiohttp` (pip install websockets aiohttp),
#                                   and node with ci/ws's `ws` (npm ci --prefix ci/ws))
# Each peer's JUnit report goes to reports/ws-<peer>-junit.xml.
set -euo pipefail
cd "$(dirname "$0")/../.."
peerspec=${1:-./target/release/peerspec}
here=ci/ws
pids=()

cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    # Bounded wait for each server to exit; then force it.
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

# Waits (at most 10 s) until something accepts connections on 127.0.0.1:$1.
wait_for_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "error: nothing listens on 127.0.0.1:$1 after 10s" >&2
  return 1
}

status=0
run_peer() {
  local name=$1 version=$2 port=$3
  shift 3
  "$@" "$port" >"/tmp/peerspec-ws-$name.log" 2>&1 &
  pids+=($!)
  wait_for_port "$port"
  echo "== $name $version on ws://127.0.0.1:$port/"
  local started=$EPOCHREALTIME
  "$peerspec" run cases/ws cases/seed/websocket.yaml --target "ws://127.0.0.1:$port/" \
    --known-failures "$here/known-failures-$name.txt" --quiet --junit "reports/ws-$name-junit.xml" || status=1
  echo "== $name: wall time $(awk "BEGIN { printf \"%.2f\", $EPOCHREALTIME - $started }") s"
}

pyversion() { python3 -c "import $1; print($1.__version__)"; }
run_peer websockets "$(pyversion websockets)" "${WS_PORT_WEBSOCKETS:-19001}" python3 "$here/websockets_echo.py"
run_peer aiohttp "$(pyversion aiohttp)" "${WS_PORT_AIOHTTP:-19002}" python3 "$here/aiohttp_echo.py"
run_peer node-ws "$(node -p "require('./$here/node_modules/ws/package.json').version")" "${WS_PORT_NODE_WS:-19003}" node "$here/node_ws_echo.js"
exit $status
