#!/usr/bin/env python3
"""Generates cases/client/ws/utf8-corpus.yaml: Autobahn|Testsuite's UTF-8 cases (6.4-6.23) against a
WebSocket client, as Autobahn's fuzzingserver runs them. peerspec's fake server sends each payload
of harness/tests/data/autobahn-cases.md as one text frame: a client echoes valid UTF-8 (then the
server closes, 1000) and fails the connection on invalid UTF-8, delivering nothing. The client
contract is at the top of cases/client/ws/handshake.yaml.

The other files of cases/client/ws are written by hand. Run `python3 ci/ws/gen_client_cases.py`
from the repository root after changing this script or the corpus.
"""
import os

from gen_cases import (FAIL_FAST_NOTE, FAIL_FAST_PARTS, MAY_DROP, RECEIVE, UTF8, autobahn_utf8_corpus, corpus_name, level_of, y)

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "cases", "client", "ws", "utf8-corpus.yaml")

# The client's standard output (the contract): a message it got is one line before the close line.
CLEAN_CLOSE = r'\{"close":1000,"reason":""\}\n$'
FAILED = r'^\{"close":\d+,"reason":"[^"\n]*"\}\n$'


def render(id, title, rule, client, steps, autobahn, description=None):
    spec, quote = rule
    lines = [f"id: client/ws/{id}", f"title: {y(title)}", f"spec: {y(spec)}", f"rule: {y(quote)}",
             f"autobahn: {y(autobahn[0] if len(autobahn) == 1 else autobahn)}"]
    if description:
        lines.append(f"description: {y(description)}")
    lines += ["protocol: websocket", "role: server"]
    level = level_of(quote)
    if level != "must":
        lines.append(f"level: {level}")
    lines.append(f"client:\n  expect: {y(client)}")
    lines.append("steps:")
    for s in steps:
        if isinstance(s, str):
            lines.append(f"  - {s}")
        else:
            (k, v), = s.items()
            lines.append(f"  - {k}: {y(v)}")
    return "\n".join(lines) + "\n"


def main():
    docs = []
    seen = {}
    for ab, valid, b, sub in autobahn_utf8_corpus():
        seen.setdefault((valid, b), (sub, []))[1].append(ab)
    for (valid, b), (sub, ids) in seen.items():
        shown = b.hex(" ") if len(b) <= 16 else f"{b[:8].hex(' ')} … ({len(b)} bytes)"
        send = {"send": {"message": {"text": {"hex": b.hex()}}}}
        if valid:
            docs.append(render(corpus_name(True, b, sub), f"{sub}: valid UTF-8 {shown} in one text frame is delivered and echoed", RECEIVE,
                               {"exit": "success", "stdout_match": CLEAN_CLOSE},
                               [send, {"expect": {"message": {"echo": True}}}, {"send": {"ws_close": {"code": 1000}}},
                                {"expect": {"close": {}}}, "close"], ids))
        else:
            docs.append(render(corpus_name(False, b, sub), f"{sub}: invalid UTF-8 {shown} in one text frame fails the connection", UTF8,
                               {"exit": "failure", "stdout_match": FAILED}, [send, {"expect": {"fail": "any"}}, "close"], ids))
    for ab, (first, bad, rest) in FAIL_FAST_PARTS.items():
        docs.append(render(f"8.1/fail-fast-{bad.hex()}-in-second-fragment",
                           f"a text message whose second fragment ({bad.hex(' ')}) makes it invalid fails the connection before the last fragment is sent",
                           MAY_DROP, {"exit": "failure", "stdout_match": FAILED},
                           [{"send": {"ws_frame": {"fin": False, "opcode": "text", "payload": {"hex": first.hex()}}}},
                            {"send": {"ws_ping": "barrier"}}, {"expect": {"pong": "barrier"}},
                            {"send": {"ws_frame": {"fin": False, "opcode": "continuation", "payload": {"hex": bad.hex()}}}},
                            {"expect": {"fail": "any"}}, "close"], [ab],
                           description=FAIL_FAST_NOTE + " The ping between the fragments checks that the valid first part was not refused."))
        whole = first + bad + rest
        chopped = {"6.4.1": "6.4.3", "6.4.2": "6.4.4"}[ab]
        docs.append(render(f"8.1/fail-fast-{bad.hex()}-inside-a-frame",
                           f"a text frame whose payload turns invalid ({bad.hex(' ')}) part way through fails the connection before the rest of the frame is sent",
                           MAY_DROP, {"exit": "failure", "stdout_match": FAILED},
                           [{"send": {"raw": {"hex": (bytes([0x81, len(whole)]) + first).hex()}}}, {"pause": "100ms"},
                            {"send": {"raw": {"hex": bad.hex()}}}, {"expect": {"fail": "any"}}, "close"], [chopped],
                           description=FAIL_FAST_NOTE + " Here the bytes are written in pieces of one frame, so the client must validate "
                                       "a frame's payload as it arrives to fail fast."))
    header = ("WebSocket CLIENT suite: Autobahn's UTF-8 corpus (6.5-6.23), byte for byte, each payload in one text frame\n"
              "from the server: valid UTF-8 is echoed and the server then closes (1000); invalid UTF-8 fails the connection\n"
              "(any code: MUST) and nothing is delivered. Then 6.4: failing fast (may). The contract is at the top of\n"
              "handshake.yaml; the corpus is harness/tests/data/autobahn-cases.md.\n"
              "Generated by ci/ws/gen_client_cases.py.")
    with open(OUT, "w") as f:
        f.write("".join(f"# {l}\n" for l in header.splitlines()))
        f.write("---\n".join(docs))
    print(f"{os.path.basename(OUT)}: {len(docs)} cases")


if __name__ == "__main__":
    main()
