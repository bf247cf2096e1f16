#!/usr/bin/env python3
"""A real Python HTTP client held to peerspec's client contract.

Usage: httpx_fetch.py URL [CA_FILE]
Fetches URL with httpx (trusting CA_FILE for https when given), writes the body to stdout, exits 0 only when the transfer completed
(httpx raised nothing), 1 when it failed (truncated body, broken framing, reset...).
"""
import sys

import httpx


def main() -> int:
    url = sys.argv[1]
    verify = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else True
    try:
        with httpx.Client(timeout=5.0, verify=verify) as client, client.stream("GET", url) as response:
            for chunk in response.iter_raw():
                sys.stdout.buffer.write(chunk)
    except httpx.HTTPError as e:
        print(f"httpx_fetch: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
