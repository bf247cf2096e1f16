"""The `sse` capability's resources on aiohttp's own HTTP server (web.StreamResponse).

    python3 ci/sse/app_aiohttp.py PORT

Serves /sse/basic, /sse/multiline, /sse/comments, /sse/retry, /sse/ids and /sse/open on
127.0.0.1:PORT with the bytes of ci/sse/sse_resources.py, each piece its own `write` (so each
is one chunk over HTTP/1.1). The handler is what an aiohttp user writes: prepare the response,
write the pieces, write_eof. aiohttp chooses the framing (chunked for HTTP/1.1, close-delimited
for HTTP/1.0) and answers HEAD through the GET route (`add_get` registers HEAD too).
"""

import asyncio
import os
import sys

from aiohttp import web

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sse_resources  # noqa: E402


async def stream(request: web.Request) -> web.StreamResponse:
    steps = sse_resources.pieces(request.path, request.headers.get("Last-Event-ID"))
    if steps is None:
        raise web.HTTPNotFound()
    resp = web.StreamResponse(
        status=200,
        headers={
            "Content-Type": sse_resources.CONTENT_TYPE,
            "Cache-Control": sse_resources.CACHE_CONTROL,
        },
    )
    await resp.prepare(request)
    for delay, piece in steps:
        if delay:
            await asyncio.sleep(delay)
        await resp.write(piece)
    await resp.write_eof()
    return resp


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 18090
    app = web.Application()
    for path in ("/sse/basic", "/sse/multiline", "/sse/comments", "/sse/retry", "/sse/ids", "/sse/open"):
        app.router.add_get(path, stream)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, handle_signals=True)


if __name__ == "__main__":
    main()
