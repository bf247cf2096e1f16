// A real browser as the client under test: Debian's Chromium, headless, driven by playwright-core.
//
//   node ci/chromium/browser.mjs eventsource URL [CA_FILE]
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
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [mode, url, caFile] = process.argv.slice(2);
const TIMEOUT_MS = Number(process.env.PEERSPEC_BROWSER_TIMEOUT_MS || 20000);
if (mode !== 'eventsource' || !url) {
  console.error('usage: browser.mjs eventsource URL');
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
let code = 1;
try {
  const page = await browser.newPage({ ignoreHTTPSErrors: false });
  const origin = new URL(url).origin;
  // The page comes from playwright, not from the network: the fake server's script sees the
  // EventSource's requests and nothing else.
  await page.route(`${origin}/__peerspec_page`, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><link rel="icon" href="data:,"><title>peerspec</title>' }),
  );
  await page.goto(`${origin}/__peerspec_page`);
  const result = await page.evaluate(
    ({ url, timeoutMs }) =>
      new Promise((resolve) => {
        const lines = [];
        const source = new EventSource(url);
        const record = (e) => lines.push({ type: e.type, data: e.data, lastEventId: e.lastEventId });
        for (const type of ['message', 'greeting', 'update']) source.addEventListener(type, record);
        source.onerror = () => {
          if (source.readyState === EventSource.CLOSED) resolve({ lines, closed: true });
        };
        setTimeout(() => {
          source.close();
          resolve({ lines, closed: false });
        }, timeoutMs);
      }),
    { url, timeoutMs: TIMEOUT_MS },
  );
  for (const line of result.lines) console.log(JSON.stringify(line));
  code = result.closed ? 0 : 2;
  if (!result.closed) console.error(`browser.mjs: the EventSource was still open after ${TIMEOUT_MS} ms`);
} catch (e) {
  console.error(`browser.mjs: ${e}`);
} finally {
  await browser.close();
  rmSync(home, { recursive: true, force: true });
}
process.exit(code);
