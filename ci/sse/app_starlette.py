"""The `sse` capability's resources with Starlette and sse-starlette (EventSourceResponse).

    hypercorn --bind 127.0.0.1:PORT app_starlette:app     (from ci/sse)

What a Starlette user writes: an async generator per resource handed to EventSourceResponse,
with sse-starlette's defaults. The generator yields the pieces of ci/sse/sse_resources.py as
bytes, which sse-starlette sends as they are (its own event formatting, CRLF line ends by
default, applies only to str/dict/ServerSentEvent items), so the event bytes are those of the
built-in target. What sse-starlette adds on its own is part of what is tested: the header
fields `Content-Type: text/event-stream; charset=utf-8`, `Cache-Control: no-store`,
`Connection: keep-alive` and `X-Accel-Buffering: no`, and a `: ping` comment every 15 s (longer
than any case waits, so it does not show in the run).
"""

import asyncio
import os
import sys

from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.routing import Route

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sse_resources  # noqa: E402


async def stream(request):
    steps = sse_resources.pieces(request.url.path, request.headers.get("last-event-id"))

    async def pieces():
        for delay, piece in steps:
            if delay:
                await asyncio.sleep(delay)
            yield piece

    return EventSourceResponse(pieces())


app = Starlette(
    routes=[
        Route(path, stream, methods=["GET"])
        for path in ("/sse/basic", "/sse/multiline", "/sse/comments", "/sse/retry", "/sse/ids", "/sse/open")
    ]
)
