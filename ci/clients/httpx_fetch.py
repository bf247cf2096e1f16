#!/usr/bin/env python3
"""A real Python HTTP client held to peerspec's client contract.

Usage: httpx_fetch.py [--http2] [--parallel] URL... [CA_FILE]
Fetches each URL with httpx, one client (so one connection per server when it can be reused), trusting CA_FILE for https when
given; writes the bodies to stdout in URL order; exits 0 only when every transfer completed (httpx raised nothing), 1 when one
failed (truncated body, broken framing, reset...).
--http2     speak HTTP/2 only (the h2 package): prior knowledge over http://, ALPN h2 over https://.
--parallel  send all requests at once (threads sharing the client: concurrent streams on one HTTP/2 connection).
"""
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx


def fetch(client: httpx.Client, url: str) -> bytes:
    body = bytearray()
    with client.stream("GET", url) as response:
        for chunk in response.iter_raw():
            body += chunk
    return bytes(body)


def main() -> int:
    flags = {a for a in sys.argv[1:] if a.startswith("--")}
    rest = [a for a in sys.argv[1:] if not a.startswith("--")]
    urls = [a for a in rest if "://" in a]
    ca_files = [a for a in rest if "://" not in a and a]
    verify = ca_files[0] if ca_files else True
    http2 = "--http2" in flags
    failed = False
    with httpx.Client(timeout=5.0, verify=verify, http1=not http2, http2=http2) as client:
        if "--parallel" in flags:
            with ThreadPoolExecutor(max_workers=len(urls)) as pool:
                futures = [pool.submit(fetch, client, u) for u in urls]
        else:
            futures = None
        for i, url in enumerate(urls):
            try:
                body = futures[i].result() if futures else fetch(client, url)
            except httpx.HTTPError as e:
                print(f"httpx_fetch: {url}: {type(e).__name__}: {e}", file=sys.stderr)
                failed = True
                continue
            sys.stdout.buffer.write(body)
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
