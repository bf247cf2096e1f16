#!/usr/bin/env python3
"""Generates cases/client/ws/utf8-corpus.yaml and cases/client/ws/autobahn.yaml: Autobahn|Testsuite's
cases of categories 1-7 and 10 against a WebSocket client, as Autobahn's fuzzingserver runs them.
utf8-corpus.yaml holds the UTF-8 cases (6.4-6.23); peerspec's fake server sends each payload
of harness/tests/data/autobahn-cases.md as one text frame: a client echoes valid UTF-8 (then the
server closes, 1000) and fails the connection on invalid UTF-8, delivering nothing. The client
contract is at the top of cases/client/ws/handshake.yaml.

The other files of cases/client/ws are written by hand. Run `python3 ci/ws/gen_client_cases.py`
from the repository root after changing this script or the corpus.
"""
import json
import os
import re

from gen_cases import (CLOSE_REPLY_RULE, CONTROL_INSIDE, FAIL_FAST_NOTE, FAIL_FAST_PARTS, INVALID_CODE, KOSME, MAY_DROP, NOT_PROCESSED,
                       OPCODE, PARSE, PONG, RECEIVE, RESERVED_1004, RESERVED_RANGE, RSV, UNSOLICITED_PONG, UTF8, VALIDATE, autobahn_utf8_corpus, corpus_name, level_of, step_lines, y)

HERE = os.path.join(os.path.dirname(__file__), "..", "..", "cases", "client", "ws")
OUT = os.path.join(HERE, "utf8-corpus.yaml")

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
    return "\n".join(lines + step_lines(steps)) + "\n"


# --- Autobahn 1-5, 6.1-6.3, 7, 10 against a client ---------------------------------------------------

CLOSE_ONLY = r'^\{"close":1000,"reason":""\}\n$'
ECHOED = {"exit": "success", "stdout_match": CLEAN_CLOSE}
NOTHING = {"exit": "success", "stdout_match": CLOSE_ONLY}
FAILS = {"exit": "failure", "stdout_match": FAILED}
# The client answered the server's close; what it then reports (clean, or failed because the server
# sent more after its close) is its own affair: the rule is the close frame in answer, on the wire.
ANSWERED = {"stdout_match": r'\{"close":\d+,"reason":"[^"\n]*"\}\n$'}
HELLO = "Hello, World!"


def after(*texts):
    """The client failed the connection after delivering these text messages (and nothing else)."""
    lines = "".join(re.escape(json.dumps({"text": t}, ensure_ascii=False, separators=(",", ":"))) + r"\n" for t in texts)
    return {"exit": "failure", "stdout_match": "^" + lines + FAILED[1:]}


def frame(op, payload=None, fin=True, rsv=0, **extra):
    f = {} if fin else {"fin": False}
    if rsv:
        f["rsv"] = rsv
    f["opcode"] = op
    f.update(extra)
    if payload is not None:
        f["payload"] = payload
    return f


def send(*frames):
    return {"send": {"ws_frame": frames[0]}} if len(frames) == 1 else {"send": {"ws_frames": list(frames)}}


def text(t, **m):
    return {"send": {"message": dict({"text": t}, **m)}}


def binary(b, **m):
    return {"send": {"message": dict({"binary": b}, **m)}}


ECHO = {"expect": {"message": {"echo": True}}}
FAIL = [{"expect": {"fail": "any"}}, "close"]
CLOSE = [{"send": {"ws_close": {"code": 1000}}}, {"expect": {"close": {}}}, "close"]


def ping(p):
    return [{"send": {"ws_ping": p}}, {"expect": {"pong": p}}]


def autobahn_cases():
    """(id, title, rule, client expectation, steps, Autobahn ids, description)."""
    out = []

    def add(id, title, rule, client, steps, ids, description=None):
        out.append((id, title, rule, client, steps, ids, description))

    # 1: every length form, text and binary (1.1.1 and 1.1.7 are in messages.yaml).
    for n, ids in [(125, ["1.1.2"]), (126, ["1.1.3"]), (127, ["1.1.4"]), (128, ["1.1.5"]), (65535, ["1.1.6"])]:
        add(f"5.2/text-length-{n}", f"a text message of {n} bytes arrives whole and is echoed", PARSE, ECHOED,
            [text({"repeat": "*", "times": n}), ECHO] + CLOSE, ids)
    for n, ids in [(0, ["1.2.1"]), (125, ["1.2.2"]), (126, ["1.2.3"]), (127, ["1.2.4"]), (128, ["1.2.5"]), (65535, ["1.2.6"]),
                   (65536, ["1.2.7", "1.2.8"])]:
        add(f"5.2/binary-length-{n}", f"a binary message of {n} bytes arrives whole and is echoed", PARSE, ECHOED,
            [binary({"repeat": {"hex": "fe"}, "times": n} if n else {"hex": ""}), ECHO] + CLOSE, ids)
    # 2: pings and pongs (2.2 and 2.5 are in messages.yaml and errors.yaml).
    add("5.5.2/ping-empty", "a ping without payload gets a pong without payload", PONG, NOTHING, ping("") + CLOSE, ["2.1"])
    add("5.5.2/ping-binary", "a ping with binary payload 00 ff fe fd fc fb 00 ff gets it back", PONG, NOTHING,
        ping({"hex": "00fffefdfcfb00ff"}) + CLOSE, ["2.3"])
    add("5.5.2/ping-125", "a ping with 125 bytes (the maximum) gets them back", PONG, NOTHING,
        ping({"repeat": {"hex": "fe"}, "times": 125}) + CLOSE, ["2.4", "2.6"])
    add("5.5.3/unsolicited-pong-empty", "an unsolicited empty pong is ignored (a ping after it gets just its pong)", UNSOLICITED_PONG, NOTHING,
        [send(frame("pong"))] + ping("barrier") + CLOSE, ["2.7"])
    add("5.5.3/unsolicited-pong-payload", "an unsolicited pong with payload is ignored", UNSOLICITED_PONG, NOTHING,
        [send(frame("pong", "unsolicited"))] + ping("barrier") + CLOSE, ["2.8"])
    add("5.5.3/unsolicited-pong-then-ping", "an unsolicited pong then a ping in one write: only the ping's pong comes back", UNSOLICITED_PONG,
        NOTHING, [send(frame("pong", "unsolicited"), frame("ping", "solicited")), {"expect": {"pong": "solicited"}}] + CLOSE, ["2.9"])
    add("5.5.2/ten-pings", "ten pings, one at a time, get ten pongs with their payloads", PONG, NOTHING,
        [st for i in range(10) for st in ping(f"ping {i}")] + CLOSE, ["2.10", "2.11"],
        "One at a time: §5.5.3 lets an endpoint answer only the latest of several pings it has not answered yet.")
    # 3: reserved bits.
    add("5.2/rsv-1-text", "a text frame with RSV3 set fails the connection", RSV, FAILS, [send(frame("text", HELLO, rsv=1))] + FAIL, ["3.1"])
    for r, ab in [(2, "3.2"), (3, "3.3"), (4, "3.4")]:
        add(f"5.2/rsv-{r}-after-echo", f"a message is echoed, then a text frame with RSV={r} fails the connection before the ping after it is answered",
            RSV, after(HELLO), [text(HELLO), ECHO, send(frame("text", HELLO, rsv=r), frame("ping", HELLO))] + FAIL, [ab])
    add("5.2/rsv-5-binary", "a binary frame with RSV1 and RSV3 set fails the connection", RSV, FAILS,
        [send(frame("binary", {"hex": "00fffe"}, rsv=5))] + FAIL, ["3.5"])
    add("5.2/rsv-6-ping", "a ping with RSV1 and RSV2 set fails the connection (no pong)", RSV, FAILS, [send(frame("ping", HELLO, rsv=6))] + FAIL, ["3.6"])
    add("5.2/rsv-7-close", "a close frame with every RSV bit set fails the connection", RSV, FAILS,
        [send(frame("close", rsv=7, code=1000))] + FAIL, ["3.7"])
    # 4: reserved opcodes.
    for base, kind in [(3, "data"), (11, "control")]:
        g = "4.1" if base == 3 else "4.2"
        add(f"5.2/opcode-{base:x}-empty", f"a frame with the reserved {kind} opcode 0x{base:X} and no payload fails the connection", OPCODE, FAILS,
            [send(frame(base))] + FAIL, [f"{g}.1"])
        add(f"5.2/opcode-{base + 1:x}-payload", f"a frame with the reserved {kind} opcode 0x{base + 1:X} and a payload fails the connection", OPCODE,
            FAILS, [send(frame(base + 1, "reserved"))] + FAIL, [f"{g}.2"])
        for op, n in [(base + 2, 3), (base + 3, 4), (base + 4, 5)]:
            payload = None if n == 3 else "reserved"
            add(f"5.2/opcode-{op:x}-after-echo", f"a message is echoed, then the reserved {kind} opcode 0x{op:X} fails the connection before the ping after it is answered",
                OPCODE, after(HELLO), [text(HELLO), ECHO, send(frame(op, payload), frame("ping", HELLO))] + FAIL, [f"{g}.{n}"])
    # 5: fragmentation (5.1, 5.6, 5.9, 5.10, 5.18 are in errors.yaml and messages.yaml).
    add("5.5/pong-fragmented", "a pong with FIN=0 (a fragmented control frame) fails the connection", VALIDATE, FAILS,
        [send(frame("pong", "frag", fin=False), frame("continuation", "ment"))] + FAIL, ["5.2"])
    add("5.4/text-two-fragments", "a text message in two fragments, in one write, is delivered whole and echoed", RECEIVE, ECHOED,
        [send(frame("text", "fragment1", fin=False), frame("continuation", "fragment2")), ECHO] + CLOSE, ["5.3", "5.5"])
    add("5.4/fragments-in-separate-writes", "a text message in two fragments written separately is delivered whole and echoed", RECEIVE, ECHOED,
        [send(frame("text", "fragment1", fin=False)), {"pause": "100ms"}, send(frame("continuation", "fragment2")), ECHO] + CLOSE, ["5.4"])
    add("5.4/ping-between-fragments-separate-writes", "fragments written separately with a ping between them: the pong comes before the message ends",
        CONTROL_INSIDE, ECHOED,
        [send(frame("text", "fragment1", fin=False))] + ping("between") + [send(frame("continuation", "fragment2")), ECHO] + CLOSE, ["5.7", "5.8"])
    add("5.4/continuation-without-message-no-fin", "a continuation frame (FIN=0) with no message started fails the connection", VALIDATE, FAILS,
        [send(frame("continuation", "orphan", fin=False), frame("text", HELLO))] + FAIL, ["5.12", "5.13", "5.14"])
    add("5.4/continuation-after-fragmented-message", "after a message in two fragments, another continuation fails the connection", VALIDATE,
        after("fragment1fragment2"),
        [send(frame("text", "fragment1", fin=False), frame("continuation", "fragment2")), ECHO,
         send(frame("continuation", "fragment3", fin=False), frame("text", "fragment4"))] + FAIL, ["5.15"])
    for fin, ab in [(False, "5.16"), (True, "5.17")]:
        add(f"5.4/orphan-continuation-{'fin' if fin else 'no-fin'}-twice",
            f"twice a continuation (FIN={int(fin)}) with no message, then a fragmented text: the first fails the connection", VALIDATE, FAILS,
            [send(*[f for _ in range(2) for f in (frame("continuation", "fragment1", fin=fin), frame("text", "fragment2", fin=False),
                                                frame("continuation", "fragment3"))])] + FAIL, [ab])
    add("5.4/two-pings-between-five-fragments", "five fragments written separately with two pings between them: each pong before the message ends",
        CONTROL_INSIDE, ECHOED,
        [send(frame("text", "f1", fin=False))] + ping("p1") + [send(frame("continuation", "f2", fin=False)), send(frame("continuation", "f3", fin=False))]
        + ping("p2") + [send(frame("continuation", "f4", fin=False)), send(frame("continuation", "f5")), ECHO] + CLOSE, ["5.19", "5.20"])
    # 6.1-6.3 (6.1.1 and 6.1.3 are in messages.yaml).
    add("5.4/text-empty-fragments", "a text message of three empty fragments is an empty message", RECEIVE, ECHOED,
        [send(frame("text", "", fin=False), frame("continuation", "", fin=False), frame("continuation", "")), ECHO] + CLOSE, ["6.1.2"])
    umlauts = "Hello-µ@ßöäüàá-UTF-8!!"
    n = len(umlauts.encode())
    add("8.1/valid-hello-umlauts", "valid UTF-8 with umlauts in one frame is delivered and echoed", RECEIVE, ECHOED, [text(umlauts), ECHO] + CLOSE, ["6.2.1"])
    add("8.1/valid-hello-umlauts-two-fragments", "the same text in two fragments split between characters", RECEIVE, ECHOED,
        [text(umlauts, fragments=[11]), ECHO] + CLOSE, ["6.2.2"])
    add("8.1/valid-hello-umlauts-split-per-byte", "the same text one byte per fragment (splits inside characters)", RECEIVE, ECHOED,
        [text(umlauts, fragments=[1] * (n - 1)), ECHO] + CLOSE, ["6.2.3"])
    add("8.1/valid-kosme-split-per-byte", "κόσμε (with the 3-byte ό, U+1F79) one byte per fragment", RECEIVE, ECHOED,
        [text({"hex": KOSME.hex()}, fragments=[1] * (len(KOSME) - 1)), ECHO] + CLOSE, ["6.2.4"])
    bad = KOSME + bytes.fromhex("eda080") + b"edited"
    add("8.1/invalid-kosme-with-surrogate", "κόσμε, a UTF-16 surrogate (ED A0 80), then \"edited\", in one frame: the connection fails", UTF8, FAILS,
        [text({"hex": bad.hex()})] + FAIL, ["6.3.1"])
    add("8.1/invalid-kosme-with-surrogate-split-per-byte", "the same bytes one byte per fragment: the connection fails", UTF8, FAILS,
        [text({"hex": bad.hex()}, fragments=[1] * (len(bad) - 1))] + FAIL, ["6.3.2"])
    # 7: the close handshake (7.1.5, 7.3.1, 7.3.4, 7.5.1, 7.7.2 are in close.yaml).
    add("7.1.2/close-after-message", "a message is echoed, then the server's close is answered with a close frame", CLOSE_REPLY_RULE, ECHOED,
        [text(HELLO), ECHO] + CLOSE, ["7.1.1"])
    add("7.1.2/close-twice", "two close frames in one write: one close frame in answer", CLOSE_REPLY_RULE, ANSWERED,
        [send(frame("close", code=1000), frame("close", code=1000)), {"expect": {"close": {}}}, "close"], ["7.1.2"])
    add("7.1.2/ping-after-close", "a ping after the server's close frame: the close is answered", CLOSE_REPLY_RULE, ANSWERED,
        [send(frame("close", code=1000), frame("ping", HELLO)), {"expect": {"close": {}}}, "close"], ["7.1.3"],
        "§5.5.2 asks for a pong \"unless it already received a Close frame\": the client need not answer the ping.")
    add("7.1.2/text-after-close", "a text message after the server's close frame: the close is answered", CLOSE_REPLY_RULE, ANSWERED,
        [send(frame("close", code=1000), frame("text", HELLO)), {"expect": {"close": {}}}, "close"], ["7.1.4"],
        "Whether the client still delivers the message, and whether it reports the closure as clean, is not checked: the server broke §5.5.1 "
        "(\"After sending a Close frame, the endpoint MUST NOT send any further data frames\").")
    add("7.1.2/close-after-big-message", "a 64 KiB message is echoed, then the close handshake completes", CLOSE_REPLY_RULE, ECHOED,
        [binary({"repeat": {"hex": "42"}, "times": 65536}), {"expect": {"message": {"echo": True, "length": 65536}}}] + CLOSE, ["7.1.6"])
    add("5.5.1/close-one-byte-payload", "a close payload of one byte (a status code needs two) fails the connection", VALIDATE,
        {"stdout_match": FAILED}, [send(frame("close", {"hex": "03"}))] + FAIL, ["7.3.2"])
    add("7.4.1/valid-code-1000", "close code 1000 is answered with a close frame", CLOSE_REPLY_RULE, NOTHING,
        [{"send": {"ws_close": {"code": 1000}}}, {"expect": {"close": {}}}, "close"], ["7.3.3", "7.7.1"])
    add("5.5.1/close-reason-123-bytes", "a close reason of 123 bytes (payload 125, the maximum) is answered with a close frame", CLOSE_REPLY_RULE,
        {"exit": "success", "stdout_match": r'^\{"close":1000,"reason":"\*{123}"\}\n$'},
        [{"send": {"ws_close": {"code": 1000, "reason": {"repeat": "*", "times": 123}}}}, {"expect": {"close": {}}}, "close"], ["7.3.5"])
    add("5.5.1/close-reason-124-bytes", "a close reason of 124 bytes (payload 126, over the limit of §5.5) fails the connection", VALIDATE,
        {"stdout_match": FAILED}, [send(frame("close", {"repeat": "*", "times": 124}, code=1000))] + FAIL, ["7.3.6"])
    for code, ab in [(1000, None), (1001, None), (1002, "7.7.3"), (1003, "7.7.4"), (1007, "7.7.5"), (1008, "7.7.6"), (1009, "7.7.7"), (1010, "7.7.8"),
                     (1011, "7.7.9"), (3000, "7.7.10"), (3999, "7.7.11"), (4000, "7.7.12"), (4999, "7.7.13")]:
        if ab:
            add(f"7.4.1/valid-code-{code}", f"close code {code} is valid: the close is answered with a close frame", CLOSE_REPLY_RULE,
                {"exit": "success", "stdout_match": rf'^\{{"close":{code},"reason":""\}}\n$'},
                [{"send": {"ws_close": {"code": code}}}, {"expect": {"close": {}}}, "close"], [ab])
    note = "Answering with 1000, or echoing the code, treats invalid data as a normal closure."
    for code, ab, rule in [(0, "7.9.1", INVALID_CODE), (999, "7.9.2", INVALID_CODE), (1004, "7.9.3", RESERVED_1004), (1005, "7.9.4", INVALID_CODE),
                           (1006, "7.9.5", INVALID_CODE), (1016, "7.9.6", RESERVED_RANGE), (1100, "7.9.7", RESERVED_RANGE),
                           (2000, "7.9.8", RESERVED_RANGE), (2999, "7.9.9", RESERVED_RANGE), (5000, "7.13.1", INVALID_CODE),
                           (65535, "7.13.2", INVALID_CODE)]:
        id = {INVALID_CODE: f"7.4.1/invalid-code-{code}", RESERVED_1004: f"7.4.1/reserved-code-{code}", RESERVED_RANGE: f"7.4.2/unassigned-code-{code}"}[rule]
        what = {INVALID_CODE: "one no endpoint may send", RESERVED_1004: "reserved", RESERVED_RANGE: "not assigned"}[rule]
        add(id, f"close code {code} ({what}) is answered with 1002", rule,
            {"stdout_match": FAILED}, [send(frame("close", code=code)), {"expect": {"fail": [1002]}}, "close"], [ab], note)
    # 10: a 64 KiB text message in 1300-byte fragments.
    add("5.4/text-64KiB-in-1300-byte-fragments", "a 64 KiB text message in 1300-byte fragments is delivered whole and echoed", RECEIVE, ECHOED,
        [text({"repeat": "*", "times": 65536}, fragments=[1300] * 50), {"expect": {"message": {"echo": True, "length": 65536}}}] + CLOSE, ["10.1.1"])
    return out


def write_autobahn():
    docs = [render(id, title, rule, client, steps, ids, description) for id, title, rule, client, steps, ids, description in autobahn_cases()]
    header = ("WebSocket CLIENT suite: Autobahn's cases of categories 1-7 and 10 (other than UTF-8, in utf8-corpus.yaml),\n"
              "as its fuzzingserver runs them against a client. Where a hand-written file already has the\n"
              "counterpart (its `autobahn:` names it), it is not repeated here. The contract is at the top of\n"
              "handshake.yaml. Generated by ci/ws/gen_client_cases.py.")
    path = os.path.join(HERE, "autobahn.yaml")
    with open(path, "w") as f:
        f.write("".join(f"# {l}\n" for l in header.splitlines()))
        f.write("---\n".join(docs))
    print(f"autobahn.yaml: {len(docs)} cases")


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
    write_autobahn()


if __name__ == "__main__":
    main()
