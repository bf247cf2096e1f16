#!/usr/bin/env node
// WebSocket echo server on Node's `ws` package, for peerspec's ws suite.
// Usage: node node_ws_echo.js PORT (with `ws` installed: npm install --prefix ci/ws ws@8).
// Echoes text and binary messages on any path; speaks the `chat` and `superchat` subprotocols when
// offered; messages up to 16 MiB (like the built-in target); permessage-deflate when offered.
'use strict';
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2]);
const wss = new WebSocketServer({
  host: '127.0.0.1',
  port,
  maxPayload: 16 << 20,
  // permessage-deflate (RFC 7692) when offered, every message compressed (ws's default threshold
  // leaves messages under 1 KiB uncompressed).
  perMessageDeflate: { threshold: 0 },
  handleProtocols: (offered) => ['chat', 'superchat'].find((p) => offered.has(p)) || false,
});
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});
