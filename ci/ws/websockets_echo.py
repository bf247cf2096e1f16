#!/usr/bin/env python3
"""WebSocket echo server on Python `websockets` (asyncio API), for peerspec's ws suite.

Usage: websockets_echo.py PORT. Echoes text and binary messages on any path; speaks the `chat`
and `superchat` subprotocols when offered; messages up to 16 MiB (like the built-in target);
permessage-deflate (RFC 7692) accepted when offered (websockets' default compression).
"""
import asyncio
import sys

from websockets.asyncio.server import serve


async def echo(ws):
    try:
        async for message in ws:
            await ws.send(message)
    except Exception:
        pass


def select_subprotocol(connection, offered):
    # The default selection refuses clients that offer none; select one only when offered.
    return next((p for p in offered if p in ("chat", "superchat")), None)


async def main(port):
    async with serve(echo, "127.0.0.1", port, select_subprotocol=select_subprotocol, max_size=16 << 20,
                     ping_interval=None, close_timeout=2):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
