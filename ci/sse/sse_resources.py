"""The `sse` capability's resources, as (delay in seconds, bytes) pieces.

These are the bytes peerspec's built-in target sends (harness/src/target/builtin_sse.rs), piece
for piece: each piece is written (and flushed) on its own, so HTTP/1.1 chunking follows the
pieces. Both ci/sse apps (aiohttp, and plain ASGI for hypercorn) serve them through this module,
so the servers differ only in the HTTP layer under test.
"""

KEEP_ALIVE_PERIOD = 0.5  # seconds between the keep-alive comments of /sse/open
KEEP_ALIVES = 60  # /sse/open ends after 30 s

IDS = [("1", "one"), ("2", "two"), ("3", "three")]

CONTENT_TYPE = "text/event-stream"
CACHE_CONTROL = "no-cache"


def _now(*pieces):
    return [(0.0, p.encode("utf-8")) for p in pieces]


def pieces(path, last_event_id=None):
    """The pieces of the stream at `path`, or None when there is no such resource.

    `last_event_id` is the request's Last-Event-ID value (None when absent): /sse/ids resumes
    after the event with that id, and starts from the first when the id names no event.
    """
    if path == "/sse/basic":
        return _now("data: hello\n\n", "event: greeting\ndata: hi\n\n")
    if path == "/sse/multiline":
        return _now("data: line one\ndata: line two\n\n")
    if path == "/sse/comments":
        return _now(": keep-alive\n\n", "data: a\n\n", ": ping\n\n", "data: b\n\n")
    if path == "/sse/retry":
        return _now("retry: 1500\n\n", "data: after retry\n\n")
    if path == "/sse/ids":
        ids = [i for i, _ in IDS]
        start = ids.index(last_event_id) + 1 if last_event_id in ids else 0
        return _now(*(f"id: {i}\ndata: {d}\n\n" for i, d in IDS[start:]))
    if path == "/sse/open":
        return _now("data: first\n\n", "data: second\n\n") + [
            (KEEP_ALIVE_PERIOD, b": keep-alive\n\n") for _ in range(KEEP_ALIVES)
        ]
    return None
