// Node's built-in HTTP/2 client (node:http2, on nghttp2) held to peerspec's client contract.
//
//   node ci/clients/h2_fetch.mjs URL... [CA_FILE]
//
// One session per origin (h2c with prior knowledge for http://, ALPN h2 for https://, trusting
// CA_FILE when given); every URL is requested at once (concurrent streams). Bodies are written
// to stdout in URL order. Exit 0 only when every response completed: a final :status, then the
// stream ended by END_STREAM (the 'end' event) and closed without an error code. Exit 1 when a
// transfer failed (reset stream, session error, a connection that closed first); 2 on a timeout.
import http2 from 'node:http2';
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const urls = args.filter((a) => a.includes('://'));
const caFile = args.find((a) => a && !a.includes('://'));
const TIMEOUT_MS = Number(process.env.PEERSPEC_CLIENT_TIMEOUT_MS || 5000);
if (urls.length === 0) {
  console.error('usage: h2_fetch.mjs URL... [CA_FILE]');
  process.exit(64);
}

const sessions = new Map();
function session(origin) {
  if (!sessions.has(origin)) {
    const s = http2.connect(origin, caFile ? { ca: readFileSync(caFile) } : {});
    // Errors reach the streams too; without a listener a session error would throw.
    s.on('error', (e) => console.error(`h2_fetch: ${origin}: session error: ${e.code || ''} ${e.message}`));
    sessions.set(origin, s);
  }
  return sessions.get(origin);
}

function fetch(url) {
  return new Promise((resolve) => {
    const u = new URL(url);
    const chunks = [];
    let status = null;
    let ended = false;
    let error = null;
    let stream;
    try {
      stream = session(u.origin).request({ ':method': 'GET', ':path': u.pathname + u.search });
    } catch (e) {
      resolve({ body: Buffer.alloc(0), error: `request: ${e.message}` });
      return;
    }
    stream.on('response', (headers) => {
      status = headers[':status'];
    });
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      ended = true;
    });
    stream.on('error', (e) => {
      error = `${e.code || ''} ${e.message}`;
    });
    stream.on('close', () => {
      let why = error;
      if (!why && stream.rstCode) why = `stream reset, code ${stream.rstCode}`;
      if (!why && !ended) why = 'the stream closed without END_STREAM';
      if (!why && (status === null || status < 200)) why = 'no final response';
      resolve({ body: Buffer.concat(chunks), error: why });
    });
  });
}

const timer = setTimeout(() => {
  console.error(`h2_fetch: timed out after ${TIMEOUT_MS} ms`);
  process.exit(2);
}, TIMEOUT_MS);

const results = await Promise.all(urls.map(fetch));
clearTimeout(timer);
let failed = false;
results.forEach((r, i) => {
  if (r.error) {
    console.error(`h2_fetch: ${urls[i]}: ${r.error}`);
    failed = true;
  } else {
    process.stdout.write(r.body);
  }
});
// Done: a graceful close() would wait for the server to close the connection, which a fake server
// waiting for the client to exit never does. (stdout is a pipe or file: written synchronously.)
for (const s of sessions.values()) s.destroy();
process.exit(failed ? 1 : 0);
