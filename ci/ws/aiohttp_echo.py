#!/usr/bin/env python3
"""WebSocket echo server on aiohttp, for peerspec's ws suite.

Usage: aiohttp_echo.py PORT. Echoes text and binary messages on any path; speaks the `chat` and
`superchat` subprotocols when offered; messages up to 16 MiB (like the built-in target);
permessage-deflate (RFC 7692) accepted when offered (compress=True).
"""
import sys

from aiohttp import WSMsgType, web


async def echo(request):
    ws = web.WebSocketResponse(protocols=("chat", "superchat"), max_msg_size=16 << 20, compress=True, autoping=True)
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type == WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


app = web.Application()
app.router.add_get("/{tail:.*}", echo)

if __name__ == "__main__":
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
