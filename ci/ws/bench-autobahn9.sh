#!/usr/bin/env bash
# Autobahn category 9 figures (limits and performance) for the three real WebSocket servers of
# ci/ws/run.sh (Python websockets, aiohttp, Node ws): runs cases/ws/09-limits-performance.yaml
# against each (every case alone: `exclusive`) and prints, per case, its wall time, how it ended
# (echoed, or refused over the server's limits: 1009, 1008 or a TCP close) and, for the 1000-round-trip cases, the mean, min and max round
# trip. Not part of .ci/run; run by hand, like ci/bench. Figures depend on the machine's load.
#
#   ci/ws/bench-autobahn9.sh [PEERSPEC]   (default ./target/release/peerspec)
# Ports: WS_PORT_WEBSOCKETS, WS_PORT_AIOHTTP, WS_PORT_NODE_WS (default 19001-19003, as run.sh).
# JSON reports go to reports/ws-bench9-<server>.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
peerspec=${1:-./target/release/peerspec}
here=ci/ws
. ci/lib.sh
ps_me=ws/bench-autobahn9.sh
pids=()
cleanup() {
  for pid in "${pids[@]}"; do ps_stop "$pid" 2 server; done
}
trap cleanup EXIT
mkdir -p reports
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"

bench_peer() {
  local name=$1 version=$2 port=$3
  shift 3
  ps_start_server "/tmp/peerspec-ws-bench-$name.log" "$@" "$port"
  pids+=("$PS_SERVER_PID")
  ps_wait_port 127.0.0.1 "$port" 10 "$PS_SERVER_PID" "$name" "/tmp/peerspec-ws-bench-$name.log"
  local json="reports/ws-bench9-$name.json"
  echo
  echo "== $name $version on ws://127.0.0.1:$port/"
  # A failing case is part of the figures, not the end of the script.
  "$peerspec" run cases/ws/09-limits-performance.yaml --target "ws://127.0.0.1:$port/" --quiet --json "$json" >/dev/null || true
  python3 - "$json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
print(f"{'case':44} {'result':22} {'wall ms':>9} {'rt mean ms':>10} {'rt min':>7} {'rt max':>7}")
for c in report["cases"]:
    got = [e["unit"] for e in c["transcript"]["entries"] if e["direction"] == "received"]
    if c["status"] != "passed":
        how = c["status"].upper()
    elif any("close code 1009" in u for u in got):
        how = "refused 1009"
    elif any("close code 1008" in u for u in got):
        how = "refused 1008"
    elif any("\u2192 " in u for u in got):
        how = "echoed"
    else:
        how = "refused (TCP close)"
    rt = c.get("round_trips")
    figures = f"{rt['mean'] * 1e3:10.3f} {rt['min'] * 1e3:7.3f} {rt['max'] * 1e3:7.2f}" if rt else ""
    print(f"{c['id'].removeprefix('ws/limits/'):44} {how:22} {c['duration'] * 1e3:9.1f} {figures}")
s = report["summary"]
print(f"total {report['duration']:.2f} s; " + ", ".join(f"{k} {v}" for k, v in s.items() if isinstance(v, int)))
PY
  ps_stop "$PS_SERVER_PID" 2 server
}

pyversion() { python3 -c "import $1; print($1.__version__)"; }
bench_peer websockets "$(pyversion websockets)" "${WS_PORT_WEBSOCKETS:-19001}" python3 "$here/websockets_echo.py"
bench_peer aiohttp "$(pyversion aiohttp)" "${WS_PORT_AIOHTTP:-19002}" python3 "$here/aiohttp_echo.py"
bench_peer node-ws "$(node -p "require('./$here/node_modules/ws/package.json').version")" "${WS_PORT_NODE_WS:-19003}" node "$here/node_ws_echo.js"
