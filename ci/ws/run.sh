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
. ci/lib.sh
ps_me=ws/run.sh
pids=()

# Each server runs in a process group of its own; TERM, then KILL after 2 s.
cleanup() {
  for pid in "${pids[@]}"; do ps_stop "$pid" 2 server; done
}
trap cleanup EXIT

status=0
# Each server is given (--provides) only the capabilities it has beyond a WebSocket endpoint, which
# a ws:// target always is: all three speak the `chat` subprotocol (see their --help texts) and
# accept permessage-deflate (RFC 7692) when offered.
run_peer() {
  local name=$1 version=$2 port=$3 provides=$4
  shift 4
  ps_start_server "/tmp/peerspec-ws-$name.log" "$@" "$port"
  pids+=("$PS_SERVER_PID")
  ps_wait_port 127.0.0.1 "$port" 10 "$PS_SERVER_PID" "$name" "/tmp/peerspec-ws-$name.log"
  echo "== $name $version on ws://127.0.0.1:$port/"
  local started=$EPOCHREALTIME
  "$peerspec" run cases/ws cases/seed/websocket.yaml --target "ws://127.0.0.1:$port/" \
    --provides "$provides" --known-failures "$here/known-failures-$name.txt" --quiet --junit "reports/ws-$name-junit.xml" || status=1
  echo "== $name: wall time $(awk "BEGIN { printf \"%.2f\", $EPOCHREALTIME - $started }") s"
}

pyversion() { python3 -c "import $1; print($1.__version__)"; }
run_peer websockets "$(pyversion websockets)" "${WS_PORT_WEBSOCKETS:-19001}" subprotocol-chat,permessage-deflate python3 "$here/websockets_echo.py"
run_peer aiohttp "$(pyversion aiohttp)" "${WS_PORT_AIOHTTP:-19002}" subprotocol-chat,permessage-deflate python3 "$here/aiohttp_echo.py"
run_peer node-ws "$(node -p "require('./$here/node_modules/ws/package.json').version")" "${WS_PORT_NODE_WS:-19003}" subprotocol-chat,permessage-deflate node "$here/node_ws_echo.js"
exit $status
