#!/usr/bin/env python3
"""A real Python EventSource held to peerspec's SSE client contract (cases/client/sse).

Usage: sse_client.py URL [CA_FILE]

Opens URL with requests-sse's EventSource (trusting CA_FILE for https when given), prints every
event it dispatches as one JSON line {"type", "data", "lastEventId"}, lets the library reconnect
as it does, and exits 0 once the source is closed for good (a 204, another status than 200, or
a Content-Type other than text/event-stream). Exits 1 on anything the library raises otherwise.
The reconnection time starts at 25 ms (the library doubles it before each reconnection); the
cases' `retry: 50` then applies.
"""
import json
import sys
from datetime import timedelta

import requests
from requests_sse import EventSource, InvalidContentTypeError, InvalidStatusCodeError


def main() -> int:
    url = sys.argv[1]
    verify = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else True
    try:
        with EventSource(url, timeout=5, verify=verify, reconnection_time=timedelta(milliseconds=25)) as source:
            for event in source:
                line = {"type": event.type, "data": event.data, "lastEventId": event.last_event_id}
                print(json.dumps(line, ensure_ascii=False), flush=True)
    except (InvalidStatusCodeError, InvalidContentTypeError) as e:
        # How EventSource ends for good: fail the connection (WHATWG HTML §9.2.3).
        print(f"sse_client: closed: {e}", file=sys.stderr)
        return 0
    except (requests.RequestException, UnicodeDecodeError, ValueError) as e:
        print(f"sse_client: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
