#!/usr/bin/env python3
"""A slow HTTP/1.1 upstream for nginx's /slow (ci/h2/run.sh): every request gets `first`, then
200 ms later `second`, then the close. nginx reaches it through a stock proxy_pass, so an HTTP/2
connection error closes the client's connection at once (the echo module's echo_sleep held the
connection open until the sleep ended).

    slow_upstream.py PORT        listens on 127.0.0.1:PORT until stopped
"""
import asyncio
import sys

HEAD_LIMIT = 64 * 1024
READ_TIMEOUT = 5.0
BODY = (b"first\n", b"second\n")


async def serve(reader, writer):
    try:
        # Bounded in size and time: a request head, nothing more (GET /slow has no body).
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
        length = sum(len(b) for b in BODY)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % length + BODY[0]
        )
        await writer.drain()
        await asyncio.sleep(0.2)
        writer.write(BODY[1])
        await writer.drain()
    except (asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port):
    server = await asyncio.start_server(serve, "127.0.0.1", port, limit=HEAD_LIMIT)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    asyncio.run(main(int(sys.argv[1])))
