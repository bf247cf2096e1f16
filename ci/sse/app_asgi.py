"""The `sse` capability's resources as a plain ASGI application (for hypercorn).

    hypercorn --bind 127.0.0.1:PORT app_asgi:app     (from ci/sse)

Same bytes as ci/sse/app_aiohttp.py (ci/sse/sse_resources.py), each piece one
`http.response.body` message with more_body=True, then an empty final message. No framework:
the framing (chunked for HTTP/1.1, close-delimited for HTTP/1.0) and HEAD handling are the
server's (hypercorn, on h11). Plain ASGI rather than Starlette + sse-starlette, because
sse-starlette writes its own bytes (CRLF line ends by default, a `: ping` comment every 15 s,
extra header fields) and the point is to test the server with the exact bytes the cases expect.
"""

import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sse_resources  # noqa: E402


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    steps = None
    if scope["method"] in ("GET", "HEAD"):
        steps = sse_resources.pieces(scope["path"], headers.get("last-event-id"))
    if steps is None:
        body = b"Not Found\n"
        await send({
            "type": "http.response.start",
            "status": 404,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())],
        })
        await send({"type": "http.response.body", "body": body})
        return
    await send({
        "type": "http.response.start",
        "status": 200,
        "headers": [
            (b"content-type", sse_resources.CONTENT_TYPE.encode()),
            (b"cache-control", sse_resources.CACHE_CONTROL.encode()),
        ],
    })
    for delay, piece in steps:
        if delay:
            await asyncio.sleep(delay)
        await send({"type": "http.response.body", "body": piece, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})
