#!/usr/bin/env python3
"""A real Python HTTP client held to peerspec's client contract.

Usage: httpx_fetch.py [--http2] URL [CA_FILE]
Fetches URL with httpx (trusting CA_FILE for https when given), writes the body to stdout, exits 0 only when the transfer completed
(httpx raised nothing), 1 when it failed (truncated body, broken framing, reset...).
--http2 speaks HTTP/2 only (the h2 package): with prior knowledge over http://, through ALPN h2 over https://.
"""
import sys

import httpx


def main() -> int:
    args = sys.argv[1:]
    http2 = "--http2" in args
    args = [a for a in args if a != "--http2"]
    url = args[0]
    verify = args[1] if len(args) > 1 and args[1] else True
    try:
        with httpx.Client(timeout=5.0, verify=verify, http1=not http2, http2=http2) as client, client.stream("GET", url) as response:
            for chunk in response.iter_raw():
                sys.stdout.buffer.write(chunk)
    except httpx.HTTPError as e:
        print(f"httpx_fetch: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
