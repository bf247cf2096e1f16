// A real browser as the client under test: Debian's Chromium, headless, driven by playwright-core.
//
//   node ci/chromium/browser.mjs eventsource|websocket|fetch URL [CA_FILE]
//
// With CA_FILE (peerspec's `{ca_file}`), the browser trusts that CA the way a user would: it is
// added to the NSS database of a fresh $HOME (certutil, Debian's libnss3-tools), which Chromium
// on Linux reads for locally trusted roots. Certificate checks stay on.
//
// `eventsource`: a page at URL's origin (served by playwright itself, so the fake server sees
// only the EventSource's requests) opens `new EventSource(URL)` and listens for the event types
// message, greeting and update. Each event the browser dispatches is printed as one JSON line
// {"type", "data", "lastEventId"} (the contract of cases/client/sse). The browser reconnects on
// its own; when the EventSource is closed for good (readyState CLOSED after an error: a 204,
// another status, a wrong Content-Type) the script exits 0. Still open after TIMEOUT_MS: exit 2.
//
// `fetch`: a page at URL's origin (served by playwright, as for `eventsource`) calls
// `fetch(URL)` and reads the whole body (the contract of cases/client/h2 over TLS, run with
// --serve-tls: Chromium speaks HTTP/2 only over TLS). The body is written to stdout as it was
// received; exit 0 when the fetch and the body read resolved, 1 when either rejected (Chromium's
// net error: a reset stream, a protocol error, a truncated body), 2 on a timeout.
//
// `websocket`: the page opens `new WebSocket(URL)` (ws:// or wss://) and follows the contract of
// cases/client/ws, as ci/clients/ws_client.mjs does: each message received is printed as a JSON
// line ({"text": …} or {"binary": "<hex>"}) and sent back; `close_after=N` in the URL's query
// makes the page close (1000, "bye") after N echoes; the close event gives the last line
// {"close": code, "reason": …}; exit 0 only when the close was clean (a close frame received,
// the connection not failed), 1 otherwise.
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [mode, url, caFile] = process.argv.slice(2);
const TIMEOUT_MS = Number(process.env.PEERSPEC_BROWSER_TIMEOUT_MS || 20000);
if (!['eventsource', 'websocket', 'fetch'].includes(mode) || !url) {
  console.error('usage: browser.mjs eventsource|websocket|fetch URL [CA_FILE]');
  process.exit(64);
}

const home = mkdtempSync(join(tmpdir(), 'peerspec-chromium-'));
if (caFile) {
  const nssdb = join(home, '.pki', 'nssdb');
  mkdirSync(nssdb, { recursive: true });
  execFileSync('certutil', ['-N', '-d', `sql:${nssdb}`, '--empty-password']);
  execFileSync('certutil', ['-A', '-d', `sql:${nssdb}`, '-t', 'C,,', '-n', 'peerspec-ca', '-i', caFile]);
}

// The flags the issue names; playwright adds its own automation flags.
const browser = await chromium.launch({
  env: { ...process.env, HOME: home },
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  timeout: 15000,
});
/** In the page: an EventSource; its events, and exit 0 once it is closed for good. */
function followEventSource({ url, timeoutMs }) {
  return new Promise((resolve) => {
    const lines = [];
    const source = new EventSource(url);
    const record = (e) => lines.push({ type: e.type, data: e.data, lastEventId: e.lastEventId });
    for (const type of ['message', 'greeting', 'update']) source.addEventListener(type, record);
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) resolve({ lines, code: 0 });
    };
    setTimeout(() => {
      source.close();
      resolve({ lines, code: 2, error: `the EventSource was still open after ${timeoutMs} ms` });
    }, timeoutMs);
  });
}

/** In the page: a WebSocket that echoes; its messages and close, exit 0 on a clean close. */
function followWebSocket({ url, timeoutMs }) {
  return new Promise((resolve) => {
    const lines = [];
    const closeAfter = Number(new URL(url).searchParams.get('close_after') || 0);
    const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
    const socket = new WebSocket(url);
    socket.binaryType = 'arraybuffer';
    let failed = false;
    let echoed = 0;
    socket.onmessage = (e) => {
      lines.push(typeof e.data === 'string' ? { text: e.data } : { binary: hex(e.data) });
      socket.send(e.data);
      echoed += 1;
      if (closeAfter && echoed >= closeAfter) socket.close(1000, 'bye');
    };
    socket.onerror = () => {
      failed = true;
    };
    socket.onclose = (e) => {
      lines.push({ close: e.code, reason: e.reason });
      resolve({ lines, code: e.wasClean && e.code !== 1006 && !failed ? 0 : 1 });
    };
    setTimeout(() => resolve({ lines, code: 2, error: `the WebSocket was still open after ${timeoutMs} ms` }), timeoutMs);
  });
}

/** In the page: one fetch, the whole body read; the body in base64, exit 0 when both resolved. */
function followFetch({ url, timeoutMs }) {
  return new Promise((resolve) => {
    setTimeout(() => resolve({ body: '', code: 2, error: `the fetch had not completed after ${timeoutMs} ms` }), timeoutMs);
    fetch(url, { cache: 'no-store' })
      .then((res) => res.arrayBuffer())
      .then((buf) => {
        let bin = '';
        for (const b of new Uint8Array(buf)) bin += String.fromCharCode(b);
        resolve({ body: btoa(bin), code: 0 });
      })
      .catch((e) => resolve({ body: '', code: 1, error: `fetch failed: ${e}` }));
  });
}

const PAGE = '<!doctype html><link rel="icon" href="data:,"><title>peerspec</title>';
let pageServer = null;
let code = 1;
try {
  // EventSource: the page has the fake server's origin (a cross-origin EventSource would need
  // CORS headers in every case) and comes from playwright, not from the network, so the fake
  // server's script sees the EventSource's requests and nothing else. WebSocket: the page comes
  // from a small loopback HTTP server of this script's, so Chromium knows the page is on the
  // loopback too (its Local Network Access checks block a page of unknown address from opening
  // a socket to 127.0.0.1), and the fake server still sees nothing but the WebSocket.
  const context = await browser.newContext({ ignoreHTTPSErrors: false });
  const page = await context.newPage();
  if (process.env.PEERSPEC_BROWSER_DEBUG) page.on('console', (m) => console.error('page:', m.text()));
  if (mode === 'eventsource' || mode === 'fetch') {
    const origin = new URL(url).origin;
    await page.route(`${origin}/__peerspec_page`, (route) => route.fulfill({ contentType: 'text/html', body: PAGE }));
    await page.goto(`${origin}/__peerspec_page`);
  } else {
    pageServer = createServer((_, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE));
    await new Promise((ready) => pageServer.listen(0, '127.0.0.1', ready));
    await page.goto(`http://127.0.0.1:${pageServer.address().port}/`);
  }
  const follow = { eventsource: followEventSource, websocket: followWebSocket, fetch: followFetch }[mode];
  const result = await page.evaluate(follow, { url, timeoutMs: TIMEOUT_MS });
  if (mode === 'fetch') process.stdout.write(Buffer.from(result.body, 'base64'));
  for (const line of result.lines || []) console.log(JSON.stringify(line));
  code = result.code;
  if (result.error) console.error(`browser.mjs: ${result.error}`);
} catch (e) {
  console.error(`browser.mjs: ${e}`);
} finally {
  await browser.close();
  pageServer?.close();
  rmSync(home, { recursive: true, force: true });
}
process.exit(code);
