#!/usr/bin/env python3
"""A real Python WebSocket client (the `websockets` package, sync API) held to peerspec's
WebSocket client contract (cases/client/ws):

Usage: ws_client.py URL [CA_FILE]
Connects to URL (ws:// or wss://, trusting CA_FILE when given), writes each message it receives
to stdout as a JSON line ({"text": "..."} or {"binary": "<hex>"}) and sends it back (same type),
and when the connection ends writes {"close": CODE, "reason": "..."}: the code of the close frame
it received (1005 when that frame had no code, 1006 when no close frame arrived: RFC 6455 §7.1.5,
§7.4.1). With `close_after=N` in the URL's query it starts the closing handshake (1000, "bye")
after echoing N messages.
Exits 0 only when the connection ended cleanly (the server's close frame received, and the client
did not fail the connection), 1 otherwise (the opening handshake failed, the client failed the
connection, or it ended without a close frame).
"""
import json
import ssl
import sys
import urllib.parse

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect


def out(obj) -> None:
    line = json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n"
    sys.stdout.buffer.write(line.encode("utf-8"))
    sys.stdout.flush()


def main() -> int:
    url = sys.argv[1]
    ca_file = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    close_after = int(query.get("close_after", ["0"])[0])
    context = ssl.create_default_context(cafile=ca_file) if url.startswith("wss:") else None
    try:
        ws = connect(url, ssl=context, open_timeout=5, close_timeout=3, ping_interval=None, max_size=None)
    except Exception as e:  # any failure to open: the handshake was refused or broken
        print(f"ws_client.py: opening handshake failed: {type(e).__name__}: {e}", file=sys.stderr)
        out({"close": 1006, "reason": ""})
        return 1
    echoed = 0
    closed_by_us = False
    try:
        while True:
            message = ws.recv()
            out({"text": message} if isinstance(message, str) else {"binary": message.hex()})
            ws.send(message)
            echoed += 1
            if close_after and echoed >= close_after:
                closed_by_us = True
                ws.close(1000, "bye")
    except ConnectionClosed as e:
        print(f"ws_client.py: {type(e).__name__}: {e}", file=sys.stderr)
    protocol = ws.protocol
    received, sent = protocol.close_rcvd, protocol.close_sent
    out({"close": received.code if received else 1006, "reason": received.reason if received else ""})
    # Clean: the server's close frame arrived, and either the server closed first or the client
    # closed on purpose (not because it failed the connection).
    clean = received is not None and (protocol.close_rcvd_then_sent or (closed_by_us and sent is not None and sent.code == 1000))
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
