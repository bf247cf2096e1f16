// A real Node.js WebSocket client (the `ws` package, installed in ci/ws by `npm ci --prefix ci/ws`)
// held to peerspec's WebSocket client contract (cases/client/ws), exactly as ws_client.py:
//
//   node ci/clients/ws_client.mjs URL [CA_FILE]
//
// Connects to URL (ws:// or wss://, trusting CA_FILE when given), writes each message it receives
// to stdout as a JSON line ({"text": "..."} or {"binary": "<hex>"}) and sends it back (same type),
// and when the connection ends writes {"close": CODE, "reason": "..."} (the code of the close
// frame received; 1005 for one without a code, 1006 when none arrived). With `close_after=N` in
// the URL's query it starts the closing handshake (1000, "bye") after echoing N messages.
// Exits 0 only when the connection ended cleanly (the server's close frame received, no error),
// 1 otherwise.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../ws/package.json', import.meta.url));
const WebSocket = require('ws');

const [url, caFile] = process.argv.slice(2);
const closeAfter = Number(new URL(url).searchParams.get('close_after') || 0);
const options = caFile ? { ca: readFileSync(caFile) } : {};
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

const ws = new WebSocket(url, options);
let failed = false;
let echoed = 0;
ws.on('message', (data, isBinary) => {
  out(isBinary ? { binary: Buffer.from(data).toString('hex') } : { text: data.toString('utf8') });
  ws.send(data, { binary: isBinary });
  echoed += 1;
  if (closeAfter && echoed >= closeAfter) ws.close(1000, 'bye');
});
ws.on('error', (e) => {
  failed = true;
  process.stderr.write(`ws_client.mjs: ${e.message}\n`);
});
ws.on('close', (code, reason) => {
  out({ close: code, reason: reason.toString('utf8') });
  process.exitCode = code !== 1006 && !failed ? 0 : 1;
});
