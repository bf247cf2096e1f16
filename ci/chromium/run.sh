#!/usr/bin/env bash
# Headless Chromium as the client under test: fetch() against cases/client/h2 over TLS; its
# EventSource against cases/client/sse (over
# HTTP/1.0, HTTP/1.1, and HTTP/2 and HTTP/1.1 over TLS with the run's generated CA) and its
# WebSocket against cases/client/ws (ws:// and wss://), judged on what the browser sent and what
# the page reported (ci/chromium/browser.mjs prints each event, message and close).
#
#   ci/chromium/run.sh [PEERSPEC-ARGS…]      (from the repository root, after a release build)
#
# Needs Debian's chromium and libnss3-tools (certutil), Node.js, and `npm ci --prefix ci/chromium`.
# Cases run one at a time: each starts its own browser, and two browsers at once on a 2-core
# machine make the timing of the cases' reconnections the thing under test.
set -euo pipefail
cd "$(dirname "$0")/../.."
peerspec=./target/release/peerspec
[ -x "$peerspec" ] || { echo "run 'cargo build --release' first" >&2; exit 2; }
[ -d ci/chromium/node_modules/playwright-core ] || npm ci --prefix ci/chromium --no-audit --no-fund >/dev/null
mkdir -p reports

echo "== Chromium EventSource: cases/client/sse (HTTP/1.x, and HTTP/2 over TLS: --provides h2)"
"$peerspec" serve cases/client/sse --provides h2 --jobs 1 --timeout 15s \
  --client 'node ci/chromium/browser.mjs eventsource {url} {ca_file}' \
  --junit reports/client-chromium-sse-junit.xml "$@"

echo "== Chromium WebSocket: cases/client/ws (Chromium offers permessage-deflate: --provides)"
"$peerspec" serve cases/client/ws --jobs 1 --timeout 15s --provides permessage-deflate \
  --client 'node ci/chromium/browser.mjs websocket {url} {ca_file}' \
  --known-failures ci/chromium/known-failures-ws.txt \
  --junit reports/client-chromium-ws-junit.xml "$@"

echo "== Chromium fetch(): cases/client/h2 over TLS (--serve-tls: browsers speak HTTP/2 only over TLS)"
"$peerspec" serve cases/client/h2 --serve-tls --jobs 2 --timeout 20s \
  --client 'node ci/chromium/browser.mjs fetch {url} {ca_file}' \
  --known-failures ci/chromium/known-failures-h2.txt \
  --junit reports/client-chromium-h2-junit.xml "$@"
