#!/usr/bin/env python3
"""Generates cases/ws/*.yaml, the WebSocket server conformance suite (RFC 6455), organised by
RFC section and covering Autobahn|Testsuite's categories 1-7 plus the opening handshake.

The YAML files are the suite; this script only writes them out systematically (every length form,
every reserved bit and opcode, every invalid UTF-8 sequence, whole and split across fragments).
Edit here and run `python3 ci/ws/gen_cases.py` from the repository root to regenerate.
"""
import json
import os
import re

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "cases", "ws")


def y(v):
    """A value in YAML flow style (JSON strings are valid YAML double-quoted scalars)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        # JSON escapes C0 controls; YAML also wants DEL and C1 controls escaped.
        return "".join(c if not 0x7F <= ord(c) <= 0x9F else f"\\u{ord(c):04x}" for c in json.dumps(v, ensure_ascii=False))
    if isinstance(v, list):
        return "[" + ", ".join(y(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k}: {y(x)}" for k, x in v.items()) + " }"
    raise TypeError(v)


def level_of(quote):
    """The level a quote's strongest BCP 14 keyword sets (uppercase only, RFC 8174)."""
    words = set(re.findall(r"\b(MUST|REQUIRED|SHALL|SHOULD|RECOMMENDED|MAY|OPTIONAL)\b", quote))
    if words & {"MUST", "REQUIRED", "SHALL"}:
        return "must"
    if words & {"SHOULD", "RECOMMENDED"}:
        return "should"
    return "may"


# --- the rules the cases enforce: (spec, quote), the quote word for word from that section ------

R = "RFC 6455 "
# Receiving: the server must read what a conforming client may send.
RECEIVE = (R + "§5.4", "Clients and servers MUST support receiving both fragmented and unfragmented messages.")
CONTROL_INSIDE = (R + "§5.4", "An endpoint MUST be capable of handling control frames in the middle of a fragmented message.")
PONG = (R + "§5.5.2", "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response, unless it already received a Close frame.")
CONTROL_LIMITS = (R + "§5.5", "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be fragmented.")
UNSOLICITED_PONG = (R + "§5.5.3", "A Pong frame MAY be sent unsolicited.")
UNMASK = (R + "§6.2", "A server MUST remove masking for data frames received from a client as described in Section 5.3.")
PARSE = (R + "§6.2", "Incoming data MUST be parsed as WebSocket frames as defined in Section 5.2.")
BINARY_ANY = (R + "§5.6", 'The "Payload data" is arbitrary binary data whose interpretation is solely up to the application layer.')
# Failing the connection (the MUSTs) and the status code it sends (a SHOULD, or a MAY).
UNMASKED = (R + "§5.1", "The server MUST close the connection upon receiving a frame that is not masked.")
UNMASKED_1002 = (R + "§5.1", "In this case, a server MAY send a Close frame with a status code of 1002 (protocol error) as defined in Section 7.4.1.")
RSV = (R + "§5.2", "If a nonzero value is received and none of the negotiated extensions defines the meaning of such a nonzero value, "
       "the receiving endpoint MUST _Fail the WebSocket Connection_.")
OPCODE = (R + "§5.2", "If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket Connection_.")
UTF8 = (R + "§8.1", "When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte stream is not, in fact, a valid UTF-8 "
        "stream, that endpoint MUST _Fail the WebSocket Connection_.")
FAIL_CODE = (R + "§7.1.7", "If _The WebSocket Connection is Established_ prior to the point where the endpoint is required to _Fail the "
             "WebSocket Connection_, the endpoint SHOULD send a Close frame with an appropriate status code (Section 7.4) before proceeding "
             "to _Close the WebSocket Connection_.")
# A frame only a sender's rule forbids (a control frame over 125 bytes, a continuation with no
# message, a 1-byte close body...): the receiver's rules are §10.7's.
VALIDATE = (R + "§10.7", "Incoming data MUST always be validated by both clients and servers.")
INVALID_CODE = (R + "§10.7", "If the invalid data was received after a successful WebSocket handshake, the endpoint SHOULD send a Close frame "
                "with an appropriate status code (Section 7.4) before proceeding to _Close the WebSocket Connection_.")
MAY_DROP = (R + "§10.7", "If, at any time, an endpoint is faced with data that it does not understand or that violates some criteria by which "
            "the endpoint determines safety of input, or when the endpoint sees an opening handshake that does not correspond to the values "
            "it is expecting (e.g., incorrect path or origin in the client request), the endpoint MAY drop the TCP connection.")
LIMITS = (R + "§10.4", "Such an implementation SHOULD impose a limit on frame sizes and the total message size after reassembly from multiple frames.")
# The close handshake.
CLOSE_REPLY_RULE = (R + "§5.5.1", "If an endpoint receives a Close frame and did not previously send a Close frame, the endpoint MUST send a Close "
                    "frame in response.")
ECHO_CODE = (R + "§5.5.1", "When sending a Close frame in response, the endpoint typically echos the status code it received.")
SERVER_CLOSES_TCP = (R + "§5.5.1", "The server MUST close the underlying TCP connection immediately;")
NOT_PROCESSED = (R + "§5.5.1", "However, there is no guarantee that the endpoint that has already sent a Close frame will continue to process data.")
RESERVED_1004 = (R + "§7.4.1", "Reserved. The specific meaning might be defined in the future.")
RESERVED_RANGE = (R + "§7.4.2", "Status codes in the range 1000-2999 are reserved for definition by this protocol, its future revisions, and "
                  "extensions specified in a permanent and readily available public specification.")
# The opening handshake.
HS_REJECT = (R + "§4.2.1", "If the server, while reading the handshake, finds that the client did not send a handshake that matches the "
             "description below (note that as per [RFC2616], the order of the header fields is not important), including but not limited "
             "to any violations of the ABNF grammar specified for the components of the handshake, the server MUST stop processing the "
             "client's handshake and return an HTTP response with an appropriate error code (such as 400 Bad Request).")
HS_ACCEPT = (R + "§4.2.2", "If the server chooses to accept the incoming connection, it MUST reply with a valid HTTP response indicating the following.")
HS_VERSION = (R + "§4.2.2", "If this version does not match a version understood by the server, the server MUST abort the WebSocket handshake "
              "described in this section and instead send an appropriate HTTP error code (such as 426 Upgrade Required) and a "
              "|Sec-WebSocket-Version| header field indicating the version(s) the server is capable of understanding.")
HS_UPGRADE_CASE = (R + "§4.2.1", 'An |Upgrade| header field containing the value "websocket", treated as an ASCII case-insensitive value.')
HS_CONNECTION_TOKEN = (R + "§4.2.1", 'A |Connection| header field that includes the token "Upgrade", treated as an ASCII case-insensitive value.')
HS_UNKNOWN_FIELDS = (R + "§4.2.1", "Unknown header fields are ignored, as per [RFC2616].")
HS_SUBPROTOCOL_READY = (R + "§4.2.2", "Either a single value representing the subprotocol the server is ready to use or null.")
HS_SUBPROTOCOL_DERIVED = (R + "§4.2.2", "The value chosen MUST be derived from the client's handshake, specifically by selecting one of the values "
                          "from the |Sec-WebSocket-Protocol| field that the server is willing to use for this connection (if any).")
HS_SUBPROTOCOL_NONE = (R + "§4.2.2", "if the server does not wish to agree to one of the suggested subprotocols, it MUST NOT send back a "
                       "|Sec-WebSocket-Protocol| header field in its response")
HS_EXTENSIONS = (R + "§4.2.2", "Extensions not listed by the client MUST NOT be listed.")

# --- Autobahn|Testsuite: which Autobahn case each case stands for (its `autobahn:` field) ----------

# Case id (without `ws/`) → the Autobahn ids it is the counterpart of, for categories 1-5, 6.1-6.4,
# 7 and 10 (6.5-6.23 are matched by payload in utf8_corpus()). A case's `-closes-with-N` and
# `-echoed` twins stand for the same Autobahn cases: Autobahn checks the close code in its
# close-code column. docs/autobahn.md (generated by harness/tests/autobahn.rs) is the table.
AUTOBAHN = {
    "5.2/text-length-0": ["1.1.1"],
    "8.1/empty-text": ["1.1.1", "6.1.1"],
    "5.2/text-length-125": ["1.1.2"],
    "5.2/text-length-126": ["1.1.3"],
    "5.2/text-length-127": ["1.1.4"],
    "5.2/text-length-128": ["1.1.5"],
    "5.2/text-length-65535": ["1.1.6"],
    "5.2/text-length-65536": ["1.1.7", "1.1.8"],
    "5.2/binary-length-0": ["1.2.1"],
    "5.2/binary-length-125": ["1.2.2"],
    "5.2/binary-length-126": ["1.2.3"],
    "5.2/binary-length-127": ["1.2.4"],
    "5.2/binary-length-128": ["1.2.5"],
    "5.2/binary-length-65535": ["1.2.6"],
    "5.2/binary-length-65536": ["1.2.7", "1.2.8"],
    "5.5.2/ping-empty": ["2.1"],
    "5.5.2/ping-text": ["2.2"],
    "5.5.2/ping-binary": ["2.3"],
    "5.5.2/ping-125": ["2.4", "2.6"],
    "5.5/ping-126": ["2.5"],
    "5.5.3/unsolicited-pong-empty": ["2.7"],
    "5.5.3/unsolicited-pong-payload": ["2.8"],
    "5.5.3/unsolicited-pong-then-ping": ["2.9"],
    "5.5.2/ten-pings": ["2.10", "2.11"],
    "5.2/rsv-1-text": ["3.1"],
    "5.2/rsv-after-echo": ["3.2"],
    "5.2/rsv-2-text": ["3.2"],
    "5.2/rsv-3-text": ["3.3"],
    "5.2/rsv-4-text": ["3.4"],
    "5.2/rsv-5-text": ["3.5"],
    "5.2/rsv-1-binary": ["3.5"],
    "5.2/rsv-2-binary": ["3.5"],
    "5.2/rsv-4-binary": ["3.5"],
    "5.2/rsv-6-text": ["3.6"],
    "5.2/rsv-1-ping": ["3.6"],
    "5.2/rsv-2-ping": ["3.6"],
    "5.2/rsv-4-ping": ["3.6"],
    "5.2/rsv-4-close": ["3.7"],
    "5.2/rsv-7-text": ["3.7"],
    "5.2/opcode-3-empty": ["4.1.1"],
    "5.2/opcode-4-payload": ["4.1.2"],
    "5.2/opcode-5-empty": ["4.1.3"],
    "5.2/opcode-3-after-echo": ["4.1.3", "4.1.4", "4.1.5"],
    "5.2/opcode-6-payload": ["4.1.4"],
    "5.2/opcode-7-payload": ["4.1.5"],
    "5.2/opcode-b-empty": ["4.2.1"],
    "5.2/opcode-c-payload": ["4.2.2"],
    "5.2/opcode-d-empty": ["4.2.3"],
    "5.2/opcode-b-after-echo": ["4.2.3", "4.2.4", "4.2.5"],
    "5.2/opcode-e-payload": ["4.2.4"],
    "5.2/opcode-f-payload": ["4.2.5"],
    "5.5/ping-fragmented": ["5.1"],
    "5.5/pong-fragmented": ["5.2"],
    "5.4/text-two-fragments": ["5.3", "5.5"],
    "5.4/fragments-in-separate-writes": ["5.4", "5.7", "5.19", "5.20"],
    "5.4/ping-between-fragments": ["5.6", "5.8"],
    "5.4/continuation-without-message-fin": ["5.9", "5.10", "5.11", "5.17"],
    "5.4/continuation-without-message-no-fin": ["5.12", "5.13", "5.14", "5.16"],
    "5.4/continuation-after-fragmented-message": ["5.15"],
    "5.4/orphan-continuation-then-ping": ["5.16"],
    "5.4/text-inside-text": ["5.18"],
    "5.4/two-pings-between-five-fragments": ["5.19", "5.20"],
    "5.4/text-empty-fragments": ["6.1.2"],
    "5.4/text-empty-first-and-last": ["6.1.3"],
    "8.1/valid-hello-umlauts": ["6.2.1"],
    "8.1/valid-long-split-everywhere": ["6.2.2"],
    "8.1/valid-hello-umlauts-split-per-byte": ["6.2.3"],
    "8.1/valid-kosme-split-per-byte": ["6.2.4"],
    "8.1/invalid-kosme-with-surrogate": ["6.3.1"],
    "8.1/invalid-after-valid-message": ["6.3.1"],
    "8.1/invalid-kosme-with-surrogate-split": ["6.3.2"],
    "7.1.2/close-after-message": ["7.1.1"],
    "7.1.2/close-twice": ["7.1.2"],
    "7.1.2/ping-after-close": ["7.1.3"],
    "7.1.2/text-after-close": ["7.1.4"],
    "7.1.2/close-mid-fragmented-message": ["7.1.5"],
    "5.4/close-between-fragments": ["7.1.5"],
    "5.4/close-between-fragments-echoes-code": ["7.1.5"],
    "7.1.2/close-after-big-message": ["7.1.6"],
    "7.1.5/close-empty-payload": ["7.3.1"],
    "5.5.1/close-one-byte-payload": ["7.3.2"],
    "7.4.1/valid-code-1000": ["7.3.3", "7.7.1"],
    "5.5.1/close-with-reason": ["7.3.4"],
    "5.5.1/close-reason-multibyte": ["7.3.4"],
    "5.5.1/close-reason-123-bytes": ["7.3.5"],
    "5.5.1/close-reason-124-bytes": ["7.3.6"],
    "5.5/close-126": ["7.3.6"],
    "5.5.1/close-reason-invalid-utf8": ["7.5.1"],
    "5.5.1/close-reason-truncated-utf8": ["7.5.1"],
    "7.4.1/valid-code-1001": ["7.7.2"],
    "7.4.1/valid-code-1002": ["7.7.3"],
    "7.4.1/valid-code-1003": ["7.7.4"],
    "7.4.1/valid-code-1007": ["7.7.5"],
    "7.4.1/valid-code-1008": ["7.7.6"],
    "7.4.1/valid-code-1009": ["7.7.7"],
    "7.4.1/valid-code-1010": ["7.7.8"],
    "7.4.1/valid-code-1011": ["7.7.9"],
    "7.4.1/valid-code-3000": ["7.7.10"],
    "7.4.1/valid-code-3999": ["7.7.11"],
    "7.4.1/valid-code-4000": ["7.7.12"],
    "7.4.1/valid-code-4999": ["7.7.13"],
    "7.4.1/invalid-code-0": ["7.9.1"],
    "7.4.1/invalid-code-999": ["7.9.2"],
    "7.4.1/reserved-code-1004": ["7.9.3"],
    "7.4.1/invalid-code-1005": ["7.9.4"],
    "7.4.1/invalid-code-1006": ["7.9.5"],
    "7.4.2/unassigned-code-1016": ["7.9.6"],
    "7.4.2/unassigned-code-1100": ["7.9.7"],
    "7.4.2/unassigned-code-2000": ["7.9.8"],
    "7.4.2/unassigned-code-2999": ["7.9.9"],
    "7.4.1/invalid-code-5000": ["7.13.1"],
    "7.4.1/invalid-code-65535": ["7.13.2"],
    "5.4/binary-1MiB-in-16-fragments": ["10.1.1"],
    "5.4/binary-100-fragments": ["10.1.1"],
}
# The twins named by the case they extend.
MAPPED = set()
TWIN = re.compile(r"-(closes-with-\d+|echoed)$")


def autobahn_of(id):
    return AUTOBAHN.get(id) or AUTOBAHN.get(TWIN.sub("", id))


# The capability of a server that speaks the `chat` subprotocol when a client offers it.
CHAT = "subprotocol-chat"


def step_lines(steps):
    """A case's `steps:` block, one line per step: a bare word (`close`) or a one-key mapping."""
    lines = ["steps:"]
    for s in steps:
        if isinstance(s, str):
            lines.append(f"  - {s}")
            continue
        (k, v), = s.items()
        lines.append(f"  - {k}: {y(v)}")
    return lines


class Suite:
    def __init__(self, name, header):
        self.name, self.header, self.docs = name, header, []

    def case(self, id, title, rule, steps, description=None, timeout=None, requires=(), autobahn=None):
        """One case. `rule` is a (spec, quote) pair: the quote is the sentence the case enforces,
        word for word from the section `spec` cites, and its BCP 14 keyword sets the level.
        `autobahn` lists the Autobahn cases it stands for (default: from AUTOBAHN)."""
        spec, quote = rule
        lines = [f"id: ws/{id}", f"title: {y(title)}", f"spec: {y(spec)}", f"rule: {y(quote)}"]
        autobahn = autobahn or autobahn_of(id)
        if autobahn:
            lines.append(f"autobahn: {y(autobahn[0] if len(autobahn) == 1 else autobahn)}")
            MAPPED.add(id)
        if description:
            lines.append(f"description: {y(description)}")
        lines.append("protocol: websocket")
        lines.append(f"requires: {y(['websocket'] + list(requires))}".replace('"', ""))
        level = level_of(quote)
        if level != "must":
            lines.append(f"level: {level}")
        if timeout:
            lines.append(f"timeout: {timeout}")
        self.docs.append("\n".join(lines + step_lines(steps)) + "\n")

    def write(self):
        path = os.path.join(OUT, self.name)
        with open(path, "w") as f:
            f.write("".join(f"# {l}\n" if l else "#\n" for l in self.header.splitlines()))
            f.write("# Generated by ci/ws/gen_cases.py.\n")
            f.write("---\n".join(self.docs))
        return len(self.docs)


# --- step builders -------------------------------------------------------------------------------

def hexs(b):
    return {"hex": b.hex()}


def text(s, fragments=None, mask=None):
    m = {"text": s}
    if fragments is not None:
        m["fragments"] = fragments
    if mask is not None:
        m["mask"] = mask
    return {"send": {"message": m}}


def binary(b, fragments=None, mask=None):
    m = {"binary": b}
    if fragments is not None:
        m["fragments"] = fragments
    if mask is not None:
        m["mask"] = mask
    return {"send": {"message": m}}


def frame(op, payload=None, **fields):
    f = {}
    if fields.get("fin", True) is False:
        f["fin"] = False
    if fields.get("rsv"):
        f["rsv"] = fields["rsv"]
    f["opcode"] = op
    for k in ("mask", "length_bits", "length", "code", "reason"):
        if k in fields:
            f[k] = fields[k]
    if payload is not None:
        f["payload"] = payload
    return f


def send_frame(op, payload=None, **fields):
    return {"send": {"ws_frame": frame(op, payload, **fields)}}


def send_frames(*frames):
    return {"send": {"ws_frames": list(frames)}}


def ping(p):
    return {"send": {"ws_ping": p}}


def pong(p):
    return {"expect": {"pong": p}}


ECHO = {"expect": {"message": {"echo": True}}}


def expect_text(s, **kw):
    return {"expect": {"message": dict({"text": s}, **kw)}}


def expect_binary(b, **kw):
    return {"expect": {"message": dict({"binary": b}, **kw)}}


BARRIER = [ping("barrier"), pong("barrier")]
CLOSED = {"expect": {"connection": "closed", "within": "2s"}}


def fail():
    """The server fails the connection, any way (a close frame with any code, or the TCP close
    without one: the transcript says which), then the TCP connection ends."""
    return [{"expect": {"fail": "any"}}, CLOSED]


def fail_with(*codes):
    """The server fails the connection with a close frame carrying one of these codes (a SHOULD
    at most: RFC 6455 §7.1.7, §10.7), then the TCP connection ends."""
    return [{"expect": {"fail": list(codes)}}, CLOSED]


def failing(s, id, title, rule, sent, code=None, description=None):
    """A MUST case (the server fails the connection, any code) and, with `code=(rule, codes)`, its
    twin at the code rule's level that asks for the appropriate status code."""
    s.case(id, title, rule, sent + fail(), description=description)
    if code:
        code_rule, codes = code
        s.case(f"{id}-closes-with-{codes[0]}", f"{title}, with a close frame carrying {' or '.join(map(str, codes))}", code_rule,
               sent + fail_with(*codes))


def close_handshake(code=1000):
    """Sends a close; the server MUST answer with a close frame (RFC 6455 §5.5.1: it "typically
    echos" the code, which is not a requirement, so any valid code passes), then close TCP."""
    return [{"send": {"ws_close": {"code": code}}}, CLOSE_REPLY, CLOSED]


CLOSE_REPLY = {"expect": {"close": {}}}


REJECT = [400, 403, 404, 405, 426]


def handshake(**spec):
    return {"send": {"handshake": spec}}


def expect_handshake(**e):
    return {"expect": {"handshake": e}}


# --- §4 the opening handshake --------------------------------------------------------------------

def opening_handshake():
    s = Suite("04-opening-handshake.yaml", "RFC 6455 §4: the opening handshake. These cases send the upgrade request themselves\n(the other suites let peerspec do it on connect).")
    s.case("4.2.2/valid-upgrade", "a correct upgrade gets 101 with Upgrade, Connection and the right Sec-WebSocket-Accept", HS_ACCEPT,
           [handshake(), expect_handshake(status=101)])
    s.case("4.2.2/rfc-sample-key", "the sample key of §1.3 gets the sample accept value s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", HS_ACCEPT,
           [handshake(key="dGhlIHNhbXBsZSBub25jZQ=="), expect_handshake(status=101, headers={"Sec-WebSocket-Accept": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="})])
    s.case("4.2.2/upgrade-then-echo", "after the 101 the connection carries frames: a text message is echoed", HS_ACCEPT,
           [handshake(), expect_handshake(), text("after the upgrade"), ECHO])
    s.case("4.2.1/upgrade-value-case-insensitive", "`Upgrade: WebSocket` is accepted (the value is case-insensitive)", HS_UPGRADE_CASE,
           [handshake(headers={"Upgrade": "WebSocket"}), expect_handshake(status=101)])
    s.case("4.2.1/connection-token-list", "`Connection: keep-alive, Upgrade` is accepted (a list with the upgrade token)", HS_CONNECTION_TOKEN,
           [handshake(headers={"Connection": "keep-alive, Upgrade"}), expect_handshake(status=101)])
    s.case("4.2.1/connection-token-lowercase", "`Connection: upgrade` (lower case) is accepted", HS_CONNECTION_TOKEN,
           [handshake(headers={"Connection": "upgrade"}), expect_handshake(status=101)])
    s.case("4.2.1/extra-fields-ignored", "unrelated header fields (User-Agent, Cookie, Origin) do not stop the upgrade", HS_UNKNOWN_FIELDS,
           [handshake(headers={"User-Agent": "peerspec", "Cookie": "a=b", "Origin": "http://{host}"}), expect_handshake(status=101)])
    s.case("4.2.1/key-missing", "no Sec-WebSocket-Key: the server refuses with a 4xx and no 101", HS_REJECT,
           [handshake(omit=["Sec-WebSocket-Key"]), expect_handshake(status=REJECT)])
    s.case("4.2.1/key-not-16-bytes", "a Sec-WebSocket-Key that decodes to 4 bytes, not 16, is refused", HS_REJECT,
           [handshake(key="dGVzdA=="), expect_handshake(status=REJECT)])
    s.case("4.2.1/key-not-base64", "a Sec-WebSocket-Key that is not base64 is refused", HS_REJECT,
           [handshake(key="!!!!!!!!!!!!!!!!!!!!!!=="), expect_handshake(status=REJECT)])
    s.case("4.2.1/key-empty", "an empty Sec-WebSocket-Key is refused", HS_REJECT,
           [handshake(key=""), expect_handshake(status=REJECT)])
    s.case("4.2.1/version-missing", "no Sec-WebSocket-Version: refused (426 with the supported version, or 400)", HS_REJECT,
           [handshake(omit=["Sec-WebSocket-Version"]), expect_handshake(status=[400, 426])])
    s.case("4.4/version-8", "Sec-WebSocket-Version 8 (a draft the RFC's own example still lists as supported): a 101, or a refusal naming the version the server speaks",
           HS_VERSION,
           [handshake(version="8"), {"expect": {"any_of": [{"handshake": {"status": 101}},
                                                           {"handshake": {"status": [400, 426], "headers_present": ["Sec-WebSocket-Version"]}}]}}],
           description="§4.4 lets a server speak several versions (its example answers `Sec-WebSocket-Version: 13, 8, 7`), so accepting draft version 8 is allowed; refusing it must name the versions spoken.")
    for v in ["12", "14", "0"]:
        s.case(f"4.4/version-{v}", f"Sec-WebSocket-Version {v} is refused with Sec-WebSocket-Version naming the version the server speaks", HS_VERSION,
               [handshake(version=v), expect_handshake(status=[400, 426], headers_present=["Sec-WebSocket-Version"])])
    s.case("4.2.1/upgrade-missing", "no Upgrade field: no 101", HS_REJECT,
           [handshake(omit=["Upgrade"]), expect_handshake(status=REJECT)])
    s.case("4.2.1/upgrade-other-protocol", "`Upgrade: h2c` is not a WebSocket upgrade: no 101", HS_REJECT,
           [handshake(headers={"Upgrade": "h2c"}), expect_handshake(status=REJECT)])
    s.case("4.2.1/connection-missing", "no Connection field: no 101", HS_REJECT,
           [handshake(omit=["Connection"]), expect_handshake(status=REJECT)])
    s.case("4.2.1/connection-keep-alive-only", "`Connection: keep-alive` without the upgrade token: no 101", HS_REJECT,
           [handshake(headers={"Connection": "keep-alive"}), expect_handshake(status=REJECT)])
    s.case("4.2.1/host-missing", "no Host field: no 101 (item 2: the handshake carries Host)", HS_REJECT,
           [handshake(omit=["Host"]), expect_handshake(status=REJECT)])
    s.case("4.2.1/method-post", "the upgrade request must be a GET: POST gets no 101", HS_REJECT,
           [handshake(method="POST", headers={"Content-Length": "0"}), expect_handshake(status=REJECT)])
    s.case("4.2.1/http-1.0", "the upgrade request must be HTTP/1.1 or higher: HTTP/1.0 gets no 101", HS_REJECT,
           [handshake(http_version="HTTP/1.0"), expect_handshake(status=REJECT + [505])])
    s.case("4.2.2/subprotocol-selected", "offered `chat`, a server that speaks it selects it", HS_SUBPROTOCOL_READY,
           [handshake(protocols=["chat"]), expect_handshake(status=101, protocol="chat")], requires=[CHAT],
           description=f"Needs a server that speaks the `chat` subprotocol (`--provides {CHAT}`; the built-in target and the ci/ws echo servers do). Selecting it is the server's choice, so this is a may.")
    s.case("4.2.2/subprotocol-one-of-several", "offered `x-peerspec-unknown, chat`, the server selects `chat` or none, never the one it does not speak",
           HS_SUBPROTOCOL_DERIVED,
           [handshake(protocols=["x-peerspec-unknown", "chat"]), {"expect": {"any_of": [{"handshake": {"status": 101, "protocol": "chat"}},
                                                                                      {"handshake": {"status": 101, "protocol": ""}}]}}],
           requires=[CHAT], description=f"Needs a server that speaks the `chat` subprotocol (`--provides {CHAT}`).")
    s.case("4.2.2/subprotocol-unknown-not-selected", "offered only an unknown subprotocol, the server selects none", HS_SUBPROTOCOL_NONE,
           [handshake(protocols=["x-peerspec-unknown"]), expect_handshake(status=101, protocol="")])
    s.case("4.2.2/subprotocol-none-offered", "offered no subprotocol, the server selects none", HS_SUBPROTOCOL_DERIVED,
           [handshake(), expect_handshake(status=101, protocol="")])
    s.case("4.2.2/extension-unknown-not-selected", "an unknown extension offered is not accepted (the 101 has no Sec-WebSocket-Extensions)", HS_EXTENSIONS,
           [handshake(headers={"Sec-WebSocket-Extensions": "x-peerspec-unknown"}), expect_handshake(status=101)])
    s.case("4.2.2/fresh-accept-per-key", "two connections with two keys get two matching accept values", HS_ACCEPT,
           [handshake(key="AQIDBAUGBwgJCgsMDQ4PEA=="), expect_handshake(status=101), "reconnect", handshake(key="EA8ODQwLCgkIBwYFBAMCAQ=="), expect_handshake(status=101)])
    return s


# --- §5.2 / Autobahn 1: framing at every length form ---------------------------------------------

LENGTHS = [0, 1, 124, 125, 126, 127, 128, 1000, 65534, 65535, 65536, 65537, 131072, 1 << 20]


def form(n):
    return "7-bit" if n <= 125 else "16-bit" if n <= 65535 else "64-bit"


def framing():
    s = Suite("05.2-framing.yaml", "RFC 6455 §5.2, §5.6: text and binary messages at every payload length form (Autobahn 1.1, 1.2),\nand lengths written in a longer form than needed.")
    for n in LENGTHS:
        s.case(f"5.2/text-length-{n}", f"a text message of {n} bytes ({form(n)} length) is echoed whole", PARSE,
               [text({"repeat": "*", "times": n} if n else ""), {"expect": {"message": {"echo": True, "length": n}}}])
    for n in LENGTHS:
        s.case(f"5.2/binary-length-{n}", f"a binary message of {n} bytes ({form(n)} length) is echoed whole", PARSE,
               [binary({"repeat": {"hex": "fe"}, "times": n} if n else {"hex": ""}), {"expect": {"message": {"echo": True, "length": n}}}])
    s.case("5.2/binary-all-byte-values", "a binary message with every byte value 00..ff is echoed unchanged", BINARY_ANY,
           [binary(hexs(bytes(range(256)))), ECHO])
    s.case("5.2/text-nul-and-controls", "a text message with U+0000 and other control characters is echoed unchanged", PARSE,
           [text("\u0000\u0001\t\r\n\u001f\u007f"), ECHO])
    s.case("5.2/several-messages-one-write", "three messages in one TCP write are echoed in order", PARSE,
           [send_frames(frame("text", "one"), frame("binary", {"hex": "0203"}), frame("text", "three")),
            expect_text("one"), expect_binary({"hex": "0203"}), expect_text("three")])
    for n, bits in [(0, 16), (5, 16), (5, 64), (125, 64), (200, 64)]:
        s.case(f"5.2/non-minimal-length-{n}-in-{bits}-bit", f"a {n}-byte text frame with its length in the {bits}-bit form (not minimal): echoed, or the connection failed",
               MAY_DROP, [send_frame("text", "x" * n if n else "", length_bits=bits),
                          {"expect": {"any_of": [{"message": {"text": "x" * n if n else ""}}, {"fail": "any"}]}}],
               description="Senders MUST use the minimal length form (§5.2); the RFC does not say what a receiver does with a longer one, so echoing and failing the connection both pass. The transcript shows which the server does.")
    failing(s, "5.2/length-top-bit-set", "a 64-bit length with its most significant bit set (which §5.2 says MUST be 0) fails the connection", VALIDATE,
            [{"send": {"raw": {"hex": "82ff" + "8000000000000000" + "01020304"}}}], code=(INVALID_CODE, [1002, 1009]))
    return s


# --- §5.1 masking --------------------------------------------------------------------------------

def masking():
    s = Suite("05.1-masking.yaml", "RFC 6455 §5.1, §5.3: client frames must be masked, with any key; a server must close the connection\non an unmasked frame (with 1002 if it likes). (Every suite also checks that the server's own frames are unmasked.)")
    s.case("5.3/rfc-example-key", "the §5.7 example: \"Hello\" masked with 37 fa 21 3d is echoed", UNMASK,
           [text("Hello", mask="37fa213d"), expect_text("Hello")])
    s.case("5.3/zero-key", "a masking key of 00 00 00 00 is a valid key", UNMASK,
           [text("zero key", mask="00000000"), expect_text("zero key")])
    s.case("5.3/ones-key", "a masking key of ff ff ff ff is a valid key", UNMASK,
           [binary(hexs(bytes(range(64))), mask="ffffffff"), ECHO])
    s.case("5.3/key-per-fragment", "each fragment of a message has its own random key", UNMASK,
           [text("a message in five fragments", fragments=[5, 5, 5, 5]), expect_text("a message in five fragments")])
    failing(s, "5.1/unmasked-text", "an unmasked text frame closes the connection", UNMASKED, [text("unmasked", mask=False)],
            code=(UNMASKED_1002, [1002]))
    failing(s, "5.1/unmasked-binary", "an unmasked binary frame closes the connection", UNMASKED, [binary({"hex": "0102"}, mask=False)])
    failing(s, "5.1/unmasked-ping", "an unmasked ping closes the connection (no pong)", UNMASKED, [send_frame("ping", "p", mask=False)])
    failing(s, "5.1/unmasked-close", "an unmasked close frame closes the connection", UNMASKED, [send_frame("close", code=1000, mask=False)],
            description="A close frame in answer (any code) then the TCP close, or the TCP close alone, both close the connection; the answer's code is §5.1's MAY (see ws/5.1/unmasked-text-closes-with-1002).")
    failing(s, "5.1/unmasked-continuation", "a fragmented message whose second fragment is unmasked closes the connection", UNMASKED,
            [send_frames(frame("text", "first", fin=False), frame("continuation", "second", mask=False))])
    failing(s, "5.1/unmasked-after-message", "a good message is echoed, then an unmasked one closes the connection", UNMASKED,
            [text("good"), expect_text("good"), text("bad", mask=False)])
    return s


# --- §5.5 / Autobahn 2: pings and pongs ----------------------------------------------------------

def control():
    s = Suite("05.5-ping-pong.yaml", "RFC 6455 §5.5, §5.5.2, §5.5.3: pings get a pong with the same payload; unsolicited pongs are\nignored; control frames are at most 125 bytes and never fragmented (Autobahn 2).")
    pong_note = "§5.5.3: a Pong frame sent in response to a Ping frame \"must have identical Application data\"."
    s.case("5.5.2/ping-empty", "a ping without payload gets a pong without payload", PONG, [ping(""), pong("")], description=pong_note)
    s.case("5.5.2/ping-text", "a ping with \"Hello, world!\" gets a pong with the same payload", PONG,
           [ping("Hello, world!"), pong("Hello, world!")], description=pong_note)
    s.case("5.5.2/ping-binary", "a ping with binary payload 00 ff fe fd fc fb 00 ff gets it back", PONG,
           [ping({"hex": "00fffefdfcfb00ff"}), pong({"hex": "00fffefdfcfb00ff"})], description=pong_note)
    s.case("5.5.2/ping-125", "a ping with 125 bytes (the maximum) gets them back", PONG,
           [ping({"repeat": {"hex": "fe"}, "times": 125}), pong({"repeat": {"hex": "fe"}, "times": 125})], description=pong_note)
    s.case("5.5.2/pong-is-one-frame", "the pong is a single final pong frame", CONTROL_LIMITS,
           [ping("one"), {"expect": {"ws_frame": {"fin": True, "opcode": "pong", "payload": "one"}}}])
    failing(s, "5.5/ping-126", "a ping with 126 bytes (over the control-frame limit of §5.5) fails the connection", VALIDATE,
            [send_frame("ping", {"repeat": {"hex": "fe"}, "times": 126})], code=(INVALID_CODE, [1002]))
    failing(s, "5.5/pong-126", "a pong with 126 bytes fails the connection", VALIDATE,
            [send_frame("pong", {"repeat": "x", "times": 126})])
    failing(s, "5.5/close-126", "a close frame with 126 bytes fails the connection", VALIDATE,
            [send_frame("close", {"repeat": "x", "times": 124}, code=1000)])
    failing(s, "5.5/ping-fragmented", "a ping with FIN=0 (a fragmented control frame, which §5.5 forbids) fails the connection", VALIDATE,
            [send_frames(frame("ping", "frag", fin=False), frame("continuation", "ment"))], code=(INVALID_CODE, [1002]))
    failing(s, "5.5/pong-fragmented", "a pong with FIN=0 fails the connection", VALIDATE,
            [send_frames(frame("pong", "frag", fin=False), frame("continuation", "ment"))])
    failing(s, "5.5/close-fragmented", "a close frame with FIN=0 fails the connection", VALIDATE,
            [send_frame("close", code=1000, fin=False)])
    s.case("5.5.3/unsolicited-pong-empty", "an unsolicited empty pong is ignored (a ping after it gets just its pong)", UNSOLICITED_PONG,
           [send_frame("pong")] + BARRIER)
    s.case("5.5.3/unsolicited-pong-payload", "an unsolicited pong with payload is ignored", UNSOLICITED_PONG,
           [send_frame("pong", "unsolicited")] + BARRIER)
    s.case("5.5.3/unsolicited-pong-then-ping", "an unsolicited pong then a ping in one write: only the ping's pong comes back", UNSOLICITED_PONG,
           [send_frames(frame("pong", "unsolicited"), frame("ping", "solicited")), pong("solicited")])
    s.case("5.5.2/ten-pings", "ten pings, one at a time, get ten pongs with their payloads", PONG,
           [st for i in range(10) for st in (ping(f"ping {i}"), pong(f"ping {i}"))])
    s.case("5.5.2/ping-between-messages", "after a message, a ping and a message in one write: the pong, then the echo", PONG,
           [text("before"), expect_text("before"), send_frames(frame("ping", "mid"), frame("text", "after")),
            pong("mid"), expect_text("after")],
           description="The pong may not be held back behind data the server sends later; the echo of a message sent before the ping is not ordered against the pong (the RFC says only \"as soon as is practical\"), so that message is echoed first.")
    s.case("5.5.2/ping-non-minimal-length", "a ping whose 5-byte length is written in the 16-bit form: a pong, or the connection failed", MAY_DROP,
           [send_frame("ping", "short", length_bits=16), {"expect": {"any_of": [{"pong": "short"}, {"fail": "any"}]}}],
           description="The RFC does not say what a receiver does with a non-minimal length: a pong and failing the connection both pass.")
    s.case("5.5.2/ping-binary-125-in-one-write-with-message", "a 125-byte ping and a text message in one write", PONG,
           [send_frames(frame("ping", {"repeat": "p", "times": 125}), frame("text", "msg")), pong({"repeat": "p", "times": 125}), expect_text("msg")])
    return s


# --- §5.2 / Autobahn 3: reserved bits --------------------------------------------------------------

def rsv():
    s = Suite("05.2-reserved-bits.yaml", "RFC 6455 §5.2: RSV1-3 must be 0 unless an extension defines them; none is negotiated here, so any\nset bit fails the connection (Autobahn 3).")
    names = {4: "RSV1", 2: "RSV2", 1: "RSV3", 6: "RSV1+RSV2", 5: "RSV1+RSV3", 3: "RSV2+RSV3", 7: "RSV1+RSV2+RSV3"}
    for r in [4, 2, 1, 6, 5, 3, 7]:
        failing(s, f"5.2/rsv-{r}-text", f"a text frame with {names[r]} set fails the connection", RSV,
                [send_frame("text", "rsv", rsv=r)], code=(FAIL_CODE, [1002]) if r == 4 else None)
    for r in [4, 2, 1]:
        failing(s, f"5.2/rsv-{r}-binary", f"a binary frame with {names[r]} set fails the connection", RSV,
                [send_frame("binary", {"hex": "00ff"}, rsv=r)])
        failing(s, f"5.2/rsv-{r}-ping", f"a ping with {names[r]} set fails the connection (no pong)", RSV,
                [send_frame("ping", "rsv", rsv=r)])
    failing(s, "5.2/rsv-4-pong", "a pong with RSV1 set fails the connection", RSV, [send_frame("pong", "rsv", rsv=4)])
    failing(s, "5.2/rsv-4-close", "a close frame with RSV1 set fails the connection", RSV, [send_frame("close", code=1000, rsv=4)])
    failing(s, "5.2/rsv-4-continuation", "a continuation frame with RSV1 set fails the connection", RSV,
            [send_frames(frame("text", "frag", fin=False), frame("continuation", "ment", rsv=4))])
    failing(s, "5.2/rsv-after-echo", "a good message is echoed, then a frame with RSV2 fails the connection before the ping after it is answered", RSV,
            [text("good"), expect_text("good"), send_frames(frame("text", "bad", rsv=2), frame("ping", "never"))])
    failing(s, "5.2/rsv-empty-frame", "an empty text frame with RSV3 set fails the connection", RSV, [send_frame("text", "", rsv=1)])
    return s


# --- §5.2 / Autobahn 4: opcodes --------------------------------------------------------------------

def opcodes():
    s = Suite("05.2-opcodes.yaml", "RFC 6455 §5.2: opcodes 3-7 (data) and B-F (control) are reserved; a frame with one fails the\nconnection (Autobahn 4).")
    for op in [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]:
        kind = "data" if op < 8 else "control"
        failing(s, f"5.2/opcode-{op:x}-empty", f"a frame with the reserved {kind} opcode 0x{op:X} and no payload fails the connection", OPCODE,
                [send_frame(op)], code=(FAIL_CODE, [1002]) if op in (3, 11) else None)
        failing(s, f"5.2/opcode-{op:x}-payload", f"a frame with the reserved {kind} opcode 0x{op:X} and a payload fails the connection", OPCODE,
                [send_frame(op, "reserved")])
    failing(s, "5.2/opcode-3-after-echo", "a message is echoed, then reserved opcode 0x3 fails the connection before the ping after it is answered", OPCODE,
            [text("good"), expect_text("good"), send_frames(frame(3, "bad"), frame("ping", "never"))])
    failing(s, "5.2/opcode-b-after-echo", "a message is echoed, then reserved opcode 0xB fails the connection before the ping after it is answered", OPCODE,
            [text("good"), expect_text("good"), send_frames(frame(11, "bad"), frame("ping", "never"))])
    failing(s, "5.2/opcode-reserved-inside-message", "reserved opcode 0x4 between two fragments of a text message fails the connection", OPCODE,
            [send_frames(frame("text", "frag", fin=False), frame(4, "bad"), frame("continuation", "ment"))])
    return s


# --- §5.4 / Autobahn 5: fragmentation --------------------------------------------------------------

def fragmentation():
    s = Suite("05.4-fragmentation.yaml", "RFC 6455 §5.4: a message may be split into a first frame and continuation frames, the last with FIN;\ncontrol frames may come between fragments; anything else is invalid data (§10.7) (Autobahn 5).")
    s.case("5.4/text-two-fragments", "a text message in two fragments is echoed whole", RECEIVE,
           [text("fragment1fragment2", fragments=[9]), expect_text("fragment1fragment2")])
    s.case("5.4/binary-two-fragments", "a binary message in two fragments is echoed whole", RECEIVE,
           [binary({"hex": "000102030405060708090a"}, fragments=[5]), expect_binary({"hex": "000102030405060708090a"})])
    s.case("5.4/text-one-byte-fragments", "a text message in one-byte fragments is echoed whole", RECEIVE,
           [text("fragmented", fragments=[1] * 9), expect_text("fragmented")])
    s.case("5.4/text-empty-fragments", "a text message of empty fragments (first, middle and last) is echoed as an empty message", RECEIVE,
           [send_frames(frame("text", "", fin=False), frame("continuation", "", fin=False), frame("continuation", "")), expect_text("")])
    s.case("5.4/text-empty-first-and-last", "empty first and last fragments around data", RECEIVE,
           [send_frames(frame("text", "", fin=False), frame("continuation", "middle", fin=False), frame("continuation", "")), expect_text("middle")])
    s.case("5.4/binary-100-fragments", "a binary message in 100 fragments is echoed whole", RECEIVE,
           [binary({"repeat": {"hex": "a5"}, "times": 1000}, fragments=[10] * 99), {"expect": {"message": {"echo": True, "length": 1000}}}])
    s.case("5.4/binary-1MiB-in-16-fragments", "a 1 MiB binary message in sixteen 64 KiB fragments is echoed whole", RECEIVE,
           [binary({"repeat": {"hex": "5a"}, "times": 1 << 20}, fragments=[65536] * 15), {"expect": {"message": {"echo": True, "length": 1 << 20}}}])
    s.case("5.4/ping-between-fragments", "a ping between two fragments is answered and the message is echoed whole", CONTROL_INSIDE,
           [send_frames(frame("text", "fragment1", fin=False), frame("ping", "mid"), frame("continuation", "fragment2")),
            pong("mid"), expect_text("fragment1fragment2")])
    s.case("5.4/pong-between-fragments", "an unsolicited pong between fragments is ignored", CONTROL_INSIDE,
           [send_frames(frame("text", "fragment1", fin=False), frame("pong", "mid"), frame("continuation", "fragment2")),
            expect_text("fragment1fragment2")] + BARRIER)
    s.case("5.4/two-pings-between-five-fragments", "five fragments with two pings between them: two pongs, then the message", CONTROL_INSIDE,
           [send_frames(frame("text", "f1", fin=False), frame("ping", "p1"), frame("continuation", "f2", fin=False),
                        frame("continuation", "f3", fin=False), frame("ping", "p2"), frame("continuation", "f4", fin=False),
                        frame("continuation", "f5")),
            pong("p1"), pong("p2"), expect_text("f1f2f3f4f5")])
    s.case("5.4/fragments-in-separate-writes", "fragments sent in separate writes, a ping answered between them", CONTROL_INSIDE,
           [send_frame("text", "fragment1", fin=False), ping("between"), pong("between"), send_frame("continuation", "fragment2"),
            expect_text("fragment1fragment2")])
    s.case("5.4/close-between-fragments", "a close frame between fragments is answered with a close frame (any code); the unfinished message is dropped", CLOSE_REPLY_RULE,
           [send_frames(frame("text", "unfinished", fin=False), frame("close", code=1000)), CLOSE_REPLY, CLOSED])
    s.case("5.4/close-between-fragments-echoes-code", "a close (1000) between fragments is legal, so the answer echoes 1000 rather than reporting a protocol error", ECHO_CODE,
           [send_frames(frame("text", "unfinished", fin=False), frame("close", code=1000)), {"expect": {"close": {"code": 1000}}}, CLOSED],
           description="Control frames MAY be injected in the middle of a fragmented message (§5.4), so a close there is not a protocol error; the reply typically echoes the code (§5.5.1, no requirement).")
    failing(s, "5.4/continuation-without-message-fin", "a continuation frame (FIN=1) with no message started fails the connection", VALIDATE,
            [send_frame("continuation", "orphan")], code=(INVALID_CODE, [1002]))
    failing(s, "5.4/continuation-without-message-no-fin", "a continuation frame (FIN=0) with no message started fails the connection", VALIDATE,
            [send_frame("continuation", "orphan", fin=False)])
    failing(s, "5.4/continuation-after-finished-message", "after a complete message, a continuation frame fails the connection", VALIDATE,
            [text("done"), expect_text("done"), send_frame("continuation", "orphan")])
    failing(s, "5.4/continuation-after-fragmented-message", "after a message in two fragments, another continuation fails the connection", VALIDATE,
            [send_frames(frame("text", "frag", fin=False), frame("continuation", "ment")), expect_text("fragment"), send_frame("continuation", "orphan")])
    failing(s, "5.4/text-inside-text", "a new text frame while a text message is unfinished fails the connection", VALIDATE,
            [send_frames(frame("text", "first", fin=False), frame("text", "second"))], code=(INVALID_CODE, [1002]))
    failing(s, "5.4/binary-inside-text", "a binary frame while a text message is unfinished fails the connection", VALIDATE,
            [send_frames(frame("text", "first", fin=False), frame("binary", {"hex": "00"}))])
    failing(s, "5.4/text-inside-binary", "a text frame (FIN=0) while a binary message is unfinished fails the connection", VALIDATE,
            [send_frames(frame("binary", {"hex": "00"}, fin=False), frame("text", "second", fin=False), frame("continuation", "end"))])
    failing(s, "5.4/orphan-continuation-then-ping", "an orphan continuation fails the connection before the ping after it is answered", VALIDATE,
            [send_frames(frame("continuation", "orphan", fin=False), frame("ping", "never"), frame("continuation", "x"))])
    s.case("5.4/unfinished-message-barrier", "an unfinished message is not delivered: a ping after the first fragment gets only its pong", CONTROL_INSIDE,
           [send_frame("text", "not yet", fin=False)] + BARRIER + [send_frame("continuation", " now"), expect_text("not yet now")])
    return s


# --- §5.6, §8.1 / Autobahn 6: UTF-8 ------------------------------------------------------------------

VALID = [
    ("hello-umlauts", "Hello-µ@ßöäüàá-UTF-8!!".encode()),
    ("kosme", "κόσμε".encode()),
    ("u+0000", b"\x00"),
    ("u+007f", b"\x7f"),
    ("u+0080", b"\xc2\x80"),
    ("u+07ff", b"\xdf\xbf"),
    ("u+0800", b"\xe0\xa0\x80"),
    ("u+d7ff", b"\xed\x9f\xbf"),
    ("u+e000", b"\xee\x80\x80"),
    ("u+fffd", b"\xef\xbf\xbd"),
    ("u+fffe-noncharacter", b"\xef\xbf\xbe"),
    ("u+ffff", b"\xef\xbf\xbf"),
    ("u+10000", b"\xf0\x90\x80\x80"),
    ("u+10ffff", b"\xf4\x8f\xbf\xbf"),
    ("bom", b"\xef\xbb\xbf"),
    ("emoji", "😀".encode()),
]

INVALID = [
    ("lone-continuation-80", b"\x80"),
    ("lone-continuation-bf", b"\xbf"),
    ("two-continuations", b"\x80\xbf"),
    ("lonely-start-c0-space", b"\xc0\x20"),
    ("lonely-start-e0-space", b"\xe0\x20"),
    ("lonely-start-f0-space", b"\xf0\x20"),
    ("truncated-2-byte", b"\xc2"),
    ("truncated-3-byte", b"\xe0\xa0"),
    ("truncated-4-byte", b"\xf0\x9f\x98"),
    ("impossible-fe", b"\xfe"),
    ("impossible-ff", b"\xff"),
    ("impossible-fefeffff", b"\xfe\xfe\xff\xff"),
    ("overlong-slash-2", b"\xc0\xaf"),
    ("overlong-slash-3", b"\xe0\x80\xaf"),
    ("overlong-slash-4", b"\xf0\x80\x80\xaf"),
    ("overlong-max-2", b"\xc1\xbf"),
    ("overlong-max-3", b"\xe0\x9f\xbf"),
    ("overlong-max-4", b"\xf0\x8f\xbf\xbf"),
    ("overlong-nul-2", b"\xc0\x80"),
    ("overlong-nul-3", b"\xe0\x80\x80"),
    ("surrogate-d800", b"\xed\xa0\x80"),
    ("surrogate-dbff", b"\xed\xaf\xbf"),
    ("surrogate-dc00", b"\xed\xb0\x80"),
    ("surrogate-dfff", b"\xed\xbf\xbf"),
    ("surrogate-pair", b"\xed\xa0\x80\xed\xb0\x80"),
    ("beyond-10ffff", b"\xf4\x90\x80\x80"),
    ("f5-start", b"\xf5\x80\x80\x80"),
    ("five-byte-form", b"\xf8\x88\x80\x80\x80"),
    ("six-byte-form", b"\xfc\x84\x80\x80\x80\x80"),
    ("kosme-with-surrogate", "κόσμε".encode() + b"\xed\xa0\x80edited"),
]


def utf8():
    s = Suite("05.6-utf8.yaml", "RFC 6455 §5.6, §8.1: text messages must be valid UTF-8 once reassembled; fragment boundaries may fall\ninside a character. A server fails the connection on invalid text (any code: MUST), and should say 1007 (Autobahn 6).")
    for name, b in VALID:
        s.case(f"8.1/valid-{name}", f"valid UTF-8 {name} ({b.hex(' ')}) in a text message is echoed", RECEIVE,
               [text(hexs(b)), expect_text(hexs(b))])
    for name, b in VALID:
        if len(b) < 2:
            continue
        s.case(f"8.1/valid-{name}-split-per-byte", f"valid UTF-8 {name} sent one byte per fragment (splits inside the character) is echoed", RECEIVE,
               [text(hexs(b), fragments=[1] * (len(b) - 1)), expect_text(hexs(b))])
    s.case("8.1/valid-long-split-everywhere", "a 4-byte, 3-byte and 2-byte character text split in fragments of 1, 2 and 3 bytes", RECEIVE,
           [text("😀あµa😀あµ", fragments=[1, 2, 3, 1, 2, 3]), expect_text("😀あµa😀あµ")])
    s.case("8.1/empty-text", "an empty text message is valid UTF-8 and echoed", RECEIVE,
           [text(""), expect_text("")])
    for name, b in INVALID:
        failing(s, f"8.1/invalid-{name}", f"invalid UTF-8 {name} ({b.hex(' ')}) in a text message fails the connection", UTF8,
                [text(hexs(b"ok " + b))], code=(FAIL_CODE, [1007]) if name == "kosme-with-surrogate" else None)
    for name, b in INVALID:
        if len(b) < 2:
            continue
        cut = 3 + len(b) // 2
        failing(s, f"8.1/invalid-{name}-split", f"invalid UTF-8 {name} split across two fragments fails the connection", UTF8,
                [text(hexs(b"ok " + b + b" tail"), fragments=[cut])], code=(FAIL_CODE, [1007]) if name == "surrogate-pair" else None)
    failing(s, "8.1/invalid-in-first-fragment", "invalid UTF-8 in the first of three fragments (the rest valid) fails the connection", UTF8,
            [text(hexs(b"\xff" + b"valid" * 2), fragments=[1, 5])])
    failing(s, "8.1/invalid-after-valid-message", "a valid message is echoed, the invalid one after it fails the connection", UTF8,
            [text("valid"), expect_text("valid"), text(hexs(b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"))])
    failing(s, "8.1/truncated-at-message-end", "a message ending in the first two bytes of a 3-byte character fails the connection", UTF8,
            [text(hexs("今から".encode()[:-1]), fragments=[2])], code=(FAIL_CODE, [1007]))
    s.case("8.1/invalid-bytes-in-binary-are-fine", "the same bytes in a binary message are echoed (UTF-8 applies to text only)", BINARY_ANY,
           [binary(hexs(b"\xff\xfe\xed\xa0\x80\xc0\xaf")), expect_binary(hexs(b"\xff\xfe\xed\xa0\x80\xc0\xaf"))])
    return s


# --- Autobahn 6.4-6.23: the UTF-8 corpus, byte for byte -------------------------------------------

# Autobahn's case list, with the payload of each of 6.5-6.23 in hex (copied into the repository for
# harness/tests/autobahn.rs, which keeps docs/autobahn.md in step with the cases).
AUTOBAHN_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "harness", "tests", "data", "autobahn-cases.md")


def autobahn_utf8_corpus():
    """[(Autobahn id, valid, payload bytes, sub-category)] of 6.5-6.23, each sent as one text frame."""
    out = []
    with open(AUTOBAHN_DATA) as f:
        for line in f:
            m = re.match(r"- (6\.\d+\.\d+): (valid|invalid) ([0-9a-f]+) — (.*)$", line.rstrip("\n"))
            if m:
                out.append((m[1], m[2] == "valid", bytes.fromhex(m[3]), m[4]))
    assert len(out) == 132, f"{AUTOBAHN_DATA}: expected 132 UTF-8 payloads, found {len(out)}"
    return out


def corpus_name(valid, b, sub):
    """A case name for a corpus payload: its hex when short, else what it is."""
    if len(b) <= 16:
        name = b.hex()
    elif sub == "Lonely start characters":
        name = f"lonely-starts-{b[0]:02x}-to-{b[-2]:02x}"
    else:
        name = {"Unexpected continuation bytes": "all-continuation-bytes", "Concatenation of incomplete sequences": "incomplete-sequences-concatenated"}[sub]
    return f"8.1/corpus/{'valid' if valid else 'invalid'}-{name}"


# Autobahn 6.4: κόσμε, then F4 90 80 80 (a code point beyond U+10FFFF), then "edited".
KOSME = bytes.fromhex("cebae1bdb9cf83cebcceb5")
FAIL_FAST_PARTS = {
    "6.4.1": (KOSME, bytes.fromhex("f4908080"), b"edited"),
    "6.4.2": (KOSME + b"\xf4", b"\x90", b"\x80\x80edited"),
}
FAIL_FAST_NOTE = ("The bytes sent so far can never become valid UTF-8, whatever follows. Failing the connection then, before the "
                  "message ends, is what Autobahn 6.4 calls failing fast (its OK); failing only once the message is complete is "
                  "allowed too (Autobahn's NON-STRICT), so this is a may. The rest of the message is never sent.")


def map_utf8_corpus():
    """Maps each corpus payload another UTF-8 case already sends (invalid ones after "ok ") to that
    case, in AUTOBAHN; returns the rest, {(valid, payload): (sub-category, [Autobahn ids])}."""
    existing = {(True, b): f"8.1/valid-{name}" for name, b in VALID}
    existing.update({(False, b): f"8.1/invalid-{name}" for name, b in INVALID})
    new = {}
    for ab, valid, b, sub in autobahn_utf8_corpus():
        if (valid, b) in existing:
            AUTOBAHN.setdefault(existing[(valid, b)], []).append(ab)
        else:
            new.setdefault((valid, b), (sub, []))[1].append(ab)
    return new


def utf8_corpus(new):
    s = Suite("05.6-utf8-corpus.yaml", "RFC 6455 §8.1: Autobahn's UTF-8 corpus (6.5-6.23), byte for byte, each payload in one text frame: valid\n"
              "UTF-8 is echoed, invalid fails the connection (any code: MUST). Payloads 05.6-utf8.yaml already sends are\n"
              "mapped there; harness/tests/data/autobahn-cases.md holds the corpus. Then 6.4: failing fast (may).")
    for (valid, b), (sub, ids) in new.items():
        shown = b.hex(" ") if len(b) <= 16 else f"{b[:8].hex(' ')} … ({len(b)} bytes)"
        if valid:
            s.case(corpus_name(True, b, sub), f"{sub}: valid UTF-8 {shown} in one text frame is echoed", RECEIVE,
                   [text(hexs(b)), expect_text(hexs(b))], autobahn=ids)
        else:
            s.case(corpus_name(False, b, sub), f"{sub}: invalid UTF-8 {shown} in one text frame fails the connection", UTF8,
                   [text(hexs(b))] + fail(), autobahn=ids)
    for ab, (first, bad, rest) in FAIL_FAST_PARTS.items():
        s.case(f"8.1/fail-fast-{bad.hex()}-in-second-fragment", f"a text message whose second fragment ({bad.hex(' ')}) makes it invalid fails "
               "the connection before the last fragment is sent", MAY_DROP,
               [send_frame("text", hexs(first), fin=False)] + BARRIER + [send_frame("continuation", hexs(bad), fin=False)] + fail(),
               description=FAIL_FAST_NOTE + " The ping between the fragments checks that the valid first part was not refused.",
               autobahn=[ab])
        # 6.4.3 and 6.4.4: the same bytes in one frame whose payload arrives in pieces (zero masking
        # key, so the raw bytes are the payload); the frame's end is never sent.
        whole = first + bad + rest
        head = bytes([0x81, 0x80 | len(whole)]) + bytes(4)
        chopped = {"6.4.1": "6.4.3", "6.4.2": "6.4.4"}[ab]
        s.case(f"8.1/fail-fast-{bad.hex()}-inside-a-frame", f"a text frame whose payload turns invalid ({bad.hex(' ')}) part way through fails "
               "the connection before the rest of the frame is sent", MAY_DROP,
               [{"send": {"raw": hexs(head + first)}}, {"pause": "100ms"}, {"send": {"raw": hexs(bad)}}] + fail(),
               description=FAIL_FAST_NOTE + " Here the bytes are written in pieces of one frame, so the server must validate "
                           "a frame's payload as it arrives to fail fast.", autobahn=[chopped])
    return s


# --- §5.5.1, §7 / Autobahn 7: the close handshake ------------------------------------------------

# Registered codes (RFC 6455 §7.4.1 and the IANA WebSocket Close Code Number Registry: 1012 Service
# Restart, 1013 Try Again Later, 1014 Bad Gateway) and the application ranges.
VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]
# Codes no endpoint may send: unused (0-999), never on the wire (1005, 1006, 1015: MUST NOT be
# set), or beyond every range §7.4.2 defines (5000+). A close carrying one is invalid data.
INVALID_CODES = [0, 999, 1005, 1006, 1015, 5000, 65535]
# Codes not (yet) assigned: a future specification may define them, so rejecting them is only
# what Autobahn 7.9 and most libraries do.
UNASSIGNED_CODES = [1016, 1100, 2000, 2999]
UNASSIGNED_NOTE = ("The RFC does not say what a receiver does with a code no one has defined yet (a future specification may define it); "
                   "Autobahn 7.9 and most libraries fail the connection with 1002.")


def closing():
    s = Suite("07-close.yaml", "RFC 6455 §5.5.1, §7: the close handshake. The server answers a close frame with a close frame (any code;\nechoing the code is what §5.5.1 calls typical), then closes TCP; invalid payloads fail the connection (Autobahn 7).")
    s.case("7.1.2/close-after-message", "a message is echoed, then the close is answered with a close frame and the server closes TCP", CLOSE_REPLY_RULE,
           [text("last"), expect_text("last")] + close_handshake(1000))
    s.case("7.1.2/close-twice", "a second close frame after the first is ignored: one close frame in answer", CLOSE_REPLY_RULE,
           [send_frames(frame("close", code=1000), frame("close", code=1001)), CLOSE_REPLY, CLOSED])
    s.case("7.1.2/ping-after-close", "a ping after the close frame gets no pong: the close is answered and TCP closed", NOT_PROCESSED,
           [send_frames(frame("close", code=1000), frame("ping", "after close")), CLOSE_REPLY, CLOSED],
           description="§5.5.2 asks for a pong \"unless it already received a Close frame\": the server need not answer the ping, and answering the close comes first.")
    s.case("7.1.2/text-after-close", "a text message after the close frame is not echoed: the close is answered and TCP closed", NOT_PROCESSED,
           [send_frames(frame("close", code=1000), frame("text", "after close")), CLOSE_REPLY, CLOSED])
    s.case("7.1.2/close-mid-fragmented-message", "a close in the middle of a fragmented message is answered with a close frame; the message is not echoed", CLOSE_REPLY_RULE,
           [send_frames(frame("text", "half", fin=False), frame("close", code=1000), frame("continuation", "never")), CLOSE_REPLY, CLOSED])
    s.case("7.1.2/close-after-big-message", "a 64 KiB message is echoed, then the close handshake completes", CLOSE_REPLY_RULE,
           [binary({"repeat": {"hex": "42"}, "times": 65536}), {"expect": {"message": {"echo": True, "length": 65536}}}] + close_handshake(1000))
    s.case("7.1.1/server-closes-tcp-promptly", "after the close handshake the server closes TCP within 500ms", SERVER_CLOSES_TCP,
           [{"send": {"ws_close": {"code": 1000}}}, CLOSE_REPLY, {"expect": {"connection": "closed", "within": "500ms"}}])
    s.case("7.1.5/close-empty-payload", "a close frame without payload is answered with a close frame", CLOSE_REPLY_RULE,
           [{"send": {"ws_close": {}}}, CLOSE_REPLY, CLOSED])
    failing(s, "5.5.1/close-one-byte-payload", "a close payload of one byte (a status code needs two) fails the connection", VALIDATE,
            [send_frame("close", {"hex": "03"})], code=(INVALID_CODE, [1002]))
    s.case("5.5.1/close-with-reason", "a close with code 1000 and a reason is answered with a close frame", CLOSE_REPLY_RULE,
           [{"send": {"ws_close": {"code": 1000, "reason": "Hello World!"}}}, CLOSE_REPLY, CLOSED])
    s.case("5.5.1/close-reason-123-bytes", "a close reason of 123 bytes (payload 125, the maximum) is answered with a close frame", CLOSE_REPLY_RULE,
           [{"send": {"ws_close": {"code": 1000, "reason": {"repeat": "*", "times": 123}}}}, CLOSE_REPLY, CLOSED])
    s.case("5.5.1/close-reason-multibyte", "a close reason in Japanese (valid UTF-8) is answered with a close frame", CLOSE_REPLY_RULE,
           [{"send": {"ws_close": {"code": 1000, "reason": "さようなら"}}}, CLOSE_REPLY, CLOSED])
    failing(s, "5.5.1/close-reason-124-bytes", "a close reason of 124 bytes (payload 126, over the limit of §5.5) fails the connection", VALIDATE,
            [send_frame("close", {"repeat": "*", "times": 124}, code=1000)])
    failing(s, "5.5.1/close-reason-invalid-utf8", "a close reason that is not UTF-8 fails the connection", UTF8,
            [send_frame("close", hexs(b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64"), code=1000)],
            code=(FAIL_CODE, [1007, 1002]))
    failing(s, "5.5.1/close-reason-truncated-utf8", "a close reason ending inside a character fails the connection", UTF8,
            [send_frame("close", hexs("あ".encode()[:2]), code=1000)])
    for c in VALID_CODES:
        s.case(f"7.4.1/valid-code-{c}", f"close code {c} is valid: the close is answered with a close frame and TCP closed", CLOSE_REPLY_RULE,
               [{"send": {"ws_close": {"code": c}}}, CLOSE_REPLY, CLOSED])
        s.case(f"7.4.1/valid-code-{c}-echoed", f"close code {c} is valid: the answer echoes {c}", ECHO_CODE,
               [{"send": {"ws_close": {"code": c}}}, {"expect": {"close": {"code": c}}}, CLOSED],
               description="The MUST is to answer with a close frame (ws/7.4.1/valid-code-N); echoing the code is what §5.5.1 calls typical. Answering a valid code with 1002 treats it as a protocol error.")
    for c in INVALID_CODES:
        s.case(f"7.4.1/invalid-code-{c}", f"close code {c} is one no endpoint may send: the server answers it as invalid data, with 1002", INVALID_CODE,
               [send_frame("close", code=c)] + fail_with(1002),
               description="A close body starts with a status code defined in §7.4 (§5.5.1 MUST); 0-999 are not used, 1005, 1006 and 1015 MUST NOT be set, and none is defined above 4999. "
                           "Answering it with 1000 (or echoing it) treats invalid data as a normal closure.")
    for c in UNASSIGNED_CODES:
        s.case(f"7.4.2/unassigned-code-{c}", f"close code {c} is not assigned: the server answers with 1002", RESERVED_RANGE,
               [send_frame("close", code=c)] + fail_with(1002), description=UNASSIGNED_NOTE)
    s.case("7.4.1/reserved-code-1004", "close code 1004 (reserved) is answered with 1002", RESERVED_1004,
           [send_frame("close", code=1004)] + fail_with(1002), description=UNASSIGNED_NOTE)
    s.case("7.4.1/reserved-code-1004-with-reason", "close code 1004 (reserved) with a reason is answered with 1002", RESERVED_1004,
           [send_frame("close", "reason", code=1004)] + fail_with(1002), description=UNASSIGNED_NOTE)
    return s


# --- §10.4 limits ---------------------------------------------------------------------------------

def limits():
    s = Suite("10.4-limits.yaml", "RFC 6455 §10.4: an implementation that limits frame or message sizes must protect itself, and\nSHOULD impose such limits; a peer over them is failed, with 1009 (§7.4.1) as the appropriate code.")
    failing(s, "10.4/declared-length-2-62", "a frame declaring 2^62 payload bytes (never sent) fails the connection", LIMITS,
            [send_frame("binary", length=1 << 62, length_bits=64)], code=(INVALID_CODE, [1009, 1002]))
    failing(s, "10.4/declared-length-2-40-text", "a text frame declaring 2^40 payload bytes fails the connection", LIMITS,
            [send_frame("text", "a", length=1 << 40, length_bits=64)])
    return s


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    total = 0
    corpus = map_utf8_corpus()
    for suite in [opening_handshake(), masking(), framing(), rsv(), opcodes(), control(), fragmentation(), utf8(), utf8_corpus(corpus), closing(),
                  limits()]:
        n = suite.write()
        total += n
        print(f"{suite.name}: {n} cases")
    print(f"total: {total}")
    stale = set(AUTOBAHN) - MAPPED
    assert not stale, f"AUTOBAHN names cases the generator does not write: {sorted(stale)}"
