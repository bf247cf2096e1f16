#!/usr/bin/env python3
"""Generates the permessage-deflate (RFC 7692) suites of both roles:

  cases/ws/7692-permessage-deflate.yaml          negotiation and negative cases, peerspec the client
  cases/ws/7692-autobahn-12.yaml, -13.yaml        Autobahn|Testsuite categories 12 and 13
  cases/client/ws/deflate.yaml                    the same, peerspec the fake server
  cases/client/ws/deflate-autobahn-12.yaml, -13.yaml

Autobahn 12.x sends compressed messages of 16 B to 128 KiB (some auto-fragmented to 256 B ... 32 KiB
frames) drawn from five data sets (JSON, a bitmap, prose, HTML, a PDF) and checks each echo; 13.x
does the same with the JSON data set under seven combinations of offer/answer parameters. Here each
case sends MESSAGES messages (Autobahn: 1000) on one connection, so context takeover carries from
one to the next, and checks each echo byte for byte after inflation. The data sets are made here
(deterministically) in the data sets' styles: the originals are not redistributable files. Each
message is a 1 KiB block of its data set, rotated by a different offset per message, repeated to
the size (the sizes from 1 KiB up are multiples of 1 KiB, so a block is written once).

Every case needs the peer to provide permessage-deflate (`--provides permessage-deflate`), and one
that declines the offer (server) or does not offer (client) is not applicable: both are allowed
(RFC 7692 §5). Quotes from RFC 7692 are checked by hand (the text is not in specs/).

Run from the repository root: `python3 ci/ws/gen_deflate.py`.
"""
import os
import random

from gen_cases import level_of, y

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
MESSAGES = 3
# Write each case's `autobahn:` ids (the field the case model has once the mapping work landed).
AUTOBAHN_FIELD = os.environ.get("GEN_AUTOBAHN_FIELD", "1") == "1"
BLOCK = 1024
CAP = "permessage-deflate"

R = "RFC 7692 "
R6455 = "RFC 6455 "
# The rules the cases enforce: (spec, quote).
DECOMPRESS = (R + "§6", "An endpoint receiving a compressed message decompresses the concatenation of the compressed data of the "
              "frames of the message by following the decompression procedure specified by the PMCE in use.")
SERVER_DECLINE = (R + "§7", "A server MUST decline an extension negotiation offer for this extension if any of the following "
                  "conditions are met:")
CLIENT_FAIL = (R + "§7", "A client MUST _Fail the WebSocket Connection_ if the peer server accepted an extension negotiation "
               "offer for this extension with an extension negotiation response meeting any of the following conditions:")
SERVER_BITS = (R + "§7.1.2.1", 'A server accepts an extension negotiation offer with this parameter by including the '
               '"server_max_window_bits" extension parameter in the extension negotiation response to send back to the '
               'client with the same or smaller value as the offer.')
NO_CLIENT_BITS = (R + "§7.1.2.2", 'If a received extension negotiation offer doesn\'t have the "client_max_window_bits" extension '
                  'parameter, the corresponding extension negotiation response to the offer MUST NOT include the '
                  '"client_max_window_bits" extension parameter.')
SERVER_NCT = (R + "§7.1.1.1", 'A server accepts an extension negotiation offer that includes the "server_no_context_takeover" '
              'extension parameter by including the "server_no_context_takeover" extension parameter in the corresponding '
              'extension negotiation response')
RSV = (R6455 + "§5.2", "If a nonzero value is received and none of the negotiated extensions defines the meaning of such a nonzero "
       "value, the receiving endpoint MUST _Fail the WebSocket Connection_.")
LIMITS = (R6455 + "§10.4", "Such an implementation SHOULD impose a limit on frame sizes and the total message size after "
          "reassembly from multiple frames.")

# --- data sets ------------------------------------------------------------------------------------


def json_block(rng):
    out = ""
    i = 0
    while len(out) < BLOCK:
        out += ('{"id":%d,"name":"user%d","active":%s,"score":%.2f,"tags":["%s","%s"]},' %
                (1000 + i, rng.randrange(10000), "true" if rng.random() < 0.5 else "false", rng.random() * 100,
                 rng.choice(["red", "green", "blue", "alpha", "beta"]), rng.choice(["x", "y", "zeta", "omega"])))
        i += 1
    return out[:BLOCK]


def bitmap_block(rng):
    # A grey image's rows: smooth gradients with a little noise, as a photograph's bytes are.
    return bytes((64 + (i % 256) // 2 + (i // 256) * 8 + rng.randrange(-3, 4)) % 256 for i in range(BLOCK))


def prose_block(rng):
    words = ["Habe", "nun,", "ach!", "Philosophie,", "Juristerei", "und", "Medizin,", "leider", "auch", "Theologie",
             "durchaus", "studiert,", "mit", "heißem", "Bemühn.", "Da", "steh", "ich", "nun,", "ich", "armer", "Tor!",
             "Und", "bin", "so", "klug", "als", "wie", "zuvor;", "Heiße", "Magister,", "heiße", "Doktor", "gar"]
    out = ""
    while len(out.encode()) < BLOCK:
        out += rng.choice(words) + (" " if rng.random() < 0.9 else "\n")
    b = out.encode()[:BLOCK]
    # Cut at a character boundary, padded with spaces to exactly BLOCK bytes.
    while True:
        try:
            b.decode()
            break
        except UnicodeDecodeError:
            b = b[:-1]
    return (b + b" " * (BLOCK - len(b))).decode()


def html_block(rng):
    out = "<!DOCTYPE html><html><head><title>peerspec</title></head><body>"
    while len(out) < BLOCK:
        out += '<div class="%s"><a href="/page/%d">Link %d</a><p>%s</p></div>\n' % (
            rng.choice(["item", "row", "card"]), rng.randrange(1000), rng.randrange(100),
            rng.choice(["Lorem ipsum dolor sit amet.", "Consectetur adipiscing elit.", "Sed do eiusmod tempor."]))
    return out[:BLOCK]


def pdf_block(rng):
    head = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n3 0 obj << /Length 512 /Filter /FlateDecode >>\nstream\n"
    body = bytes(rng.randrange(256) for _ in range(BLOCK))
    return (head + body)[:BLOCK]


DATA_SETS = [  # Autobahn 12.1-12.5
    ("json", "text", json_block),
    ("bitmap", "binary", bitmap_block),
    ("prose", "text", prose_block),
    ("html", "text", html_block),
    ("pdf", "binary", pdf_block),
]

# Autobahn's 18 settings per data set: (message size, auto-fragment size; 0 = one frame).
SETTINGS = [(16, 0), (64, 0), (256, 0), (1024, 0), (4096, 0), (8192, 0), (16384, 0), (32768, 0), (65536, 0), (131072, 0),
            (8192, 256), (16384, 256), (32768, 256), (65536, 256), (131072, 256), (131072, 1024), (131072, 4096),
            (131072, 32768)]

# Autobahn 13.1-13.7: what the client offers (server role) and what the fake server answers
# (client role), by the parameters they use.
OFFERS = [
    ("default", "permessage-deflate; client_max_window_bits", {}),
    ("no-context-takeover", "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
     {"server_no_context_takeover": True, "client_no_context_takeover": True}),
    ("window-9", "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9",
     {"server_max_window_bits": 9, "client_max_window_bits": 9}),
    ("window-15", "permessage-deflate; server_max_window_bits=15; client_max_window_bits=15",
     {"server_max_window_bits": 15, "client_max_window_bits": 15}),
    ("no-context-takeover-window-9",
     "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9",
     {"server_no_context_takeover": True, "client_no_context_takeover": True, "server_max_window_bits": 9,
      "client_max_window_bits": 9}),
    ("no-context-takeover-window-15",
     "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15; client_max_window_bits=15",
     {"server_no_context_takeover": True, "client_no_context_takeover": True, "server_max_window_bits": 15,
      "client_max_window_bits": 15}),
    ("three-offers",
     "permessage-deflate; server_no_context_takeover; server_max_window_bits=9; client_max_window_bits, "
     "permessage-deflate; server_no_context_takeover, permessage-deflate; server_max_window_bits=9",
     {"server_no_context_takeover": True, "server_max_window_bits": 9}),
]


def payload(kind, block, size, k):
    """Message k of `size` bytes: the block rotated by an offset, repeated to the size."""
    if kind == "text":
        # Rotate at a character boundary near k * 331 bytes.
        b = block.encode()
        cut = (k * 331) % BLOCK
        while cut < BLOCK and (b[cut] & 0xC0) == 0x80:
            cut += 1
        rot = (b[cut:] + b[:cut]).decode()
        if size >= BLOCK:
            return [{"repeat": rot, "times": size // BLOCK}]
        piece = rot.encode()[:size]
        while True:
            try:
                piece.decode()
                break
            except UnicodeDecodeError:
                piece = piece[:-1]
        return piece.decode() + " " * (size - len(piece))
    cut = (k * 331) % BLOCK
    rot = block[cut:] + block[:cut]
    if size >= BLOCK:
        return {"repeat": {"hex": rot.hex()}, "times": size // BLOCK}
    return {"hex": rot[:size].hex()}


def case(out, **fields):
    out.append(fields)


def write(path, header, cases):
    with open(os.path.join(ROOT, path), "w") as f:
        f.write("".join("# " + line + "\n" for line in header.splitlines()))
        f.write("# Generated by ci/ws/gen_deflate.py.\n")
        for i, c in enumerate(cases):
            if i:
                f.write("---\n")
            if not AUTOBAHN_FIELD:
                c.pop("autobahn", None)
            for key in ["id", "title", "spec", "rule", "description", "protocol", "role", "requires", "level", "autobahn",
                        "timeout", "client"]:
                if key in c:
                    f.write(f"{key}: {y(c[key])}\n")
            f.write("steps:\n")
            for step in c["steps"]:
                f.write(f"  - {y(step) if not isinstance(step, str) else step}\n")


def ruled(rule, **fields):
    spec, quote = rule
    fields.update(spec=spec, rule=quote, level=level_of(quote))
    return fields


def message_steps(kind, block, size, frag, role):
    steps = []
    for k in range(MESSAGES):
        m = {kind: payload(kind, block, size, k)}
        if frag:
            m["fragment_size"] = frag
        steps.append({"send": {"message": m}})
        steps.append({"expect": {"message": {"echo": True}}})
    return steps


def close_steps(role):
    if role == "server":
        return [{"send": {"ws_close": {"code": 1000}}}, {"expect": {"close": {}}}, "close"]
    return [{"send": {"ws_close": {"code": 1000}}}, {"expect": {"close": {}}}]


CLIENT_OK = {"expect": {"exit": "success"}}
CLIENT_FAILS = {"expect": {"exit": "failure"}}


def with_role(role, c, offer, answer):
    """Completes a case for its role: the offer (peerspec the client) or the answer (the fake server)."""
    if role == "client":
        c["protocol"] = "websocket"
        c["requires"] = ["websocket", CAP]
        hs = [{"send": {"handshake": {"extensions": offer}}}, {"expect": {"handshake": {"deflate": "accepted"}}}]
    else:
        c["protocol"] = "websocket"
        c["role"] = "server"
        c["requires"] = [CAP]
        c.setdefault("client", CLIENT_OK)
        hs = [{"send": {"ws_handshake_response": {"deflate": answer}}}]
    c["steps"] = hs + c["steps"]
    return c


def autobahn_cases(role):
    prefix = "ws/7692" if role == "client" else "client/ws/7692"
    cat12, cat13 = [], []
    for n, (name, kind, make) in enumerate(DATA_SETS, 1):
        block = make(random.Random(n))
        for m, (size, frag) in enumerate(SETTINGS, 1):
            how = f"in {frag}-byte frames" if frag else "in one frame"
            c = ruled(DECOMPRESS, id=f"{prefix}/autobahn-12/{name}-{size}" + (f"-frames-{frag}" if frag else ""),
                      title=f"{MESSAGES} compressed {kind} messages of {size} B ({name} data), {how}, are echoed whole with context takeover",
                      autobahn=f"12.{n}.{m}", steps=message_steps(kind, block, size, frag, role) + close_steps(role))
            cat12.append(with_role(role, c, "permessage-deflate; client_max_window_bits", {}))
    block = json_block(random.Random(1))
    for n, (name, offer, answer) in enumerate(OFFERS, 1):
        for m, (size, frag) in enumerate(SETTINGS, 1):
            how = f"in {frag}-byte frames" if frag else "in one frame"
            said = f"offer {offer!r}" if role == "client" else f"answer with {name}"
            c = ruled(DECOMPRESS, id=f"{prefix}/autobahn-13/{name}-{size}" + (f"-frames-{frag}" if frag else ""),
                      title=f"{MESSAGES} compressed text messages of {size} B, {how}, {said}, are echoed whole",
                      autobahn=f"13.{n}.{m}", steps=message_steps("text", block, size, frag, role) + close_steps(role))
            cat13.append(with_role(role, c, offer, answer))
    return cat12, cat13


def server_role_negotiation():
    """Peerspec the client, a server under test: offers, answers, refusals, negative frames."""
    out = []
    p = "ws/7692"

    def hs(offer, deflate=None, status=None):
        e = {}
        if deflate:
            e["deflate"] = deflate
        if status:
            e["status"] = status
        return [{"send": {"handshake": {"extensions": offer}}}, {"expect": {"handshake": e}}]

    # Sending compressed or not is the server's choice (RSV1 says which): the echo is checked after inflation.
    echo = [{"send": {"message": {"text": "Hello, Hello, Hello"}}}, {"expect": {"message": {"echo": True}}}]
    out.append(ruled(SERVER_BITS, id=f"{p}/server-max-window-bits-within-the-offer",
                     title="an offer of server_max_window_bits=10 is accepted with 10 or less, and the server's messages keep to it",
                     steps=hs("permessage-deflate; server_max_window_bits=10", "accepted") + echo))
    out.append(ruled(SERVER_BITS, id=f"{p}/server-max-window-bits-9",
                     title="an offer of server_max_window_bits=9 is accepted with 9, and the server's messages keep to a 512-byte window",
                     steps=hs("permessage-deflate; server_max_window_bits=9", "accepted") + [
                         {"send": {"message": {"text": {"repeat": "0123456789abcdefghijklmnopqrstuvwxyz-" * 20, "times": 8}}}},
                         {"expect": {"message": {"echo": True}}}]))
    out.append(ruled(SERVER_NCT, id=f"{p}/server-no-context-takeover-accepted",
                     title="an offer of server_no_context_takeover is accepted with it in the response",
                     steps=hs("permessage-deflate; server_no_context_takeover", "accepted") + echo + echo))
    out.append(ruled(NO_CLIENT_BITS, id=f"{p}/no-client-max-window-bits-unless-offered",
                     title="an offer without client_max_window_bits is not answered with it",
                     steps=hs("permessage-deflate", "accepted") + echo))
    out.append(ruled(SERVER_BITS, id=f"{p}/several-offers-one-accepted",
                     title="of several offers the server accepts one, with parameters valid for it",
                     steps=hs("permessage-deflate; server_max_window_bits=10; client_max_window_bits=12, permessage-deflate; "
                              "client_max_window_bits, permessage-deflate", "accepted") + echo + echo))
    out.append(ruled(SERVER_DECLINE, id=f"{p}/invalid-offer-then-valid-offer",
                     title="an offer with an unknown parameter is declined; the valid offer after it may be accepted",
                     description="The response is checked against the valid offer only; refusing the whole handshake (400) declines both.",
                     steps=hs("permessage-deflate; x-unknown=1, permessage-deflate", None, [101, 400])))
    for name, offer in [
        ("unknown-parameter", "permessage-deflate; x-unknown"),
        ("server-max-window-bits-7", "permessage-deflate; server_max_window_bits=7"),
        ("server-max-window-bits-16", "permessage-deflate; server_max_window_bits=16"),
        ("server-max-window-bits-leading-zero", "permessage-deflate; server_max_window_bits=010"),
        ("server-max-window-bits-without-value", "permessage-deflate; server_max_window_bits"),
        ("client-max-window-bits-7", "permessage-deflate; client_max_window_bits=7"),
        ("client-max-window-bits-16", "permessage-deflate; client_max_window_bits=16"),
        ("server-no-context-takeover-with-value", "permessage-deflate; server_no_context_takeover=1"),
        ("duplicated-server-no-context-takeover", "permessage-deflate; server_no_context_takeover; server_no_context_takeover"),
        ("duplicated-client-max-window-bits", "permessage-deflate; client_max_window_bits=10; client_max_window_bits=12"),
    ]:
        out.append(ruled(SERVER_DECLINE, id=f"{p}/declines-{name}",
                         title=f"an offer {offer!r} is declined (or the handshake refused)",
                         description="Declining is leaving permessage-deflate out of the 101; refusing the whole handshake (400) does not accept it either.",
                         steps=hs(offer, "declined", [101, 400])))
    acc = hs("permessage-deflate; client_max_window_bits", "accepted")
    for name, title, frames in [
        ("rsv1-on-ping", "RSV1 on a ping fails the connection: permessage-deflate gives RSV1 no meaning on control frames",
         [{"ws_frame": {"opcode": "ping", "rsv": 4, "payload": "p"}}]),
        ("rsv1-on-close", "RSV1 on a close frame fails the connection",
         [{"ws_frame": {"opcode": "close", "rsv": 4, "code": 1000}}]),
        ("rsv1-on-continuation", "RSV1 on a continuation frame fails the connection: it marks only a message's first frame",
         [{"ws_frames": [{"opcode": "text", "fin": False, "payload": "Hel"}, {"opcode": "continuation", "rsv": 4, "payload": "lo"}]}]),
        ("rsv2-with-deflate", "RSV2 on a data frame fails the connection: permessage-deflate defines RSV1 only",
         [{"ws_frame": {"opcode": "text", "rsv": 2, "payload": "Hello"}}]),
    ]:
        out.append(ruled(RSV, id=f"{p}/{name}", title=title,
                         steps=acc + [{"send": f} for f in frames] + [{"expect": {"fail": "any"}}]))
    out.append(ruled(DECOMPRESS, id=f"{p}/corrupt-deflate-data",
                     title="a compressed message whose payload is not DEFLATE data fails the connection",
                     steps=acc + [{"send": {"ws_frame": {"opcode": "binary", "rsv": 4, "payload": {"hex": "ffffffff01"}}}},
                                  {"expect": {"fail": "any"}}]))
    out.append(ruled(LIMITS, id=f"{p}/decompression-bomb",
                     title="a 17 MiB message compressed to about 17 KiB is echoed or refused with 1009, not inflated without bound",
                     description="The inflated size is what a limit on the message size must bound.",
                     timeout="20s",
                     steps=acc + [{"send": {"message": {"binary": {"repeat": {"hex": "00"}, "times": 17 << 20}}}},
                                  {"expect": {"any_of": [{"message": {"length": 17 << 20}}, {"fail": [1009]}]}}]))
    out.append(ruled(DECOMPRESS, id=f"{p}/uncompressed-message-after-negotiation",
                     title="with permessage-deflate in use, a message sent uncompressed (RSV1 clear) is echoed too",
                     steps=acc + [{"send": {"message": {"text": "plain", "compress": False}}}, {"expect": {"message": {"echo": True}}}]))
    out.append(ruled(DECOMPRESS, id=f"{p}/empty-compressed-message",
                     title="an empty compressed message is echoed empty",
                     steps=acc + [{"send": {"message": {"text": ""}}}, {"expect": {"message": {"text": ""}}}]))
    for c in out:
        c["protocol"] = "websocket"
        c["requires"] = ["websocket", CAP]
    return out


def client_role_negotiation():
    """Peerspec the fake server, a client under test: answers it must reject, frames it must fail on."""
    out = []
    p = "client/ws/7692"
    fails = {"expect": {"exit": "failure"}}
    for name, answer in [
        ("answer-with-unknown-parameter", "permessage-deflate; x-unknown"),
        ("answer-server-max-window-bits-7", "permessage-deflate; server_max_window_bits=7"),
        ("answer-server-max-window-bits-16", "permessage-deflate; server_max_window_bits=16"),
        ("answer-client-max-window-bits-without-value", "permessage-deflate; client_max_window_bits"),
        ("answer-duplicated-parameter", "permessage-deflate; server_no_context_takeover; server_no_context_takeover"),
        ("answer-with-value-on-a-flag", "permessage-deflate; client_no_context_takeover=1"),
    ]:
        out.append(ruled(CLIENT_FAIL, id=f"{p}/fails-on-{name}",
                         title=f"an answer {answer!r} to the client's offer fails the connection",
                         client=fails, steps=[{"send": {"ws_handshake_response": {"extensions": answer}}},
                                              {"expect": {"connection": "closed", "within": "5s"}}]))
    for name, title, frames in [
        ("rsv1-on-ping", "RSV1 on a ping fails the connection: permessage-deflate gives RSV1 no meaning on control frames",
         [{"ws_frame": {"opcode": "ping", "rsv": 4, "payload": "p"}}]),
        ("rsv1-on-continuation", "RSV1 on a continuation frame fails the connection: it marks only a message's first frame",
         [{"ws_frames": [{"opcode": "text", "fin": False, "payload": "Hel"}, {"opcode": "continuation", "rsv": 4, "payload": "lo"}]}]),
        ("rsv2-with-deflate", "RSV2 on a data frame fails the connection: permessage-deflate defines RSV1 only",
         [{"ws_frame": {"opcode": "text", "rsv": 2, "payload": "Hello"}}]),
    ]:
        out.append(ruled(RSV, id=f"{p}/{name}", title=title, client=fails,
                         steps=[{"send": {"ws_handshake_response": {"deflate": {}}}}] + [{"send": f} for f in frames]
                         + [{"expect": {"fail": "any"}}, "close"]))
    out.append(ruled(DECOMPRESS, id=f"{p}/corrupt-deflate-data",
                     title="a compressed message whose payload is not DEFLATE data fails the connection", client=fails,
                     steps=[{"send": {"ws_handshake_response": {"deflate": {}}}},
                            {"send": {"ws_frame": {"opcode": "binary", "rsv": 4, "payload": {"hex": "ffffffff01"}}}},
                            {"expect": {"fail": "any"}}, "close"]))
    for name, answer, title in [
        ("server-no-context-takeover", {"server_no_context_takeover": True}, "an answer with server_no_context_takeover, which a server may always add"),
        ("client-no-context-takeover", {"client_no_context_takeover": True}, "an answer with client_no_context_takeover: the client resets its window per message"),
        ("server-max-window-bits-8", {"server_max_window_bits": 8}, "an answer with server_max_window_bits=8, the smallest window"),
        ("client-max-window-bits-9", {"client_max_window_bits": 9}, "an answer with client_max_window_bits=9 to an offer that has the parameter"),
    ]:
        out.append(ruled(DECOMPRESS, id=f"{p}/accepts-{name}", title=f"{title}, then compressed messages echoed whole",
                         client=CLIENT_OK,
                         steps=[{"send": {"ws_handshake_response": {"deflate": answer}}}]
                         + message_steps("text", json_block(random.Random(9)), 4096, 0, "server") + close_steps("server")))
    for c in out:
        c["protocol"] = "websocket"
        c["role"] = "server"
        c["requires"] = [CAP]
    return out


HEAD_SERVER = """RFC 7692 (permessage-deflate), peerspec the client: offers and what the server must answer,
frames a server must fail the connection on once the extension is in use, and what it must inflate.
A server that declines a valid offer leaves the case not applicable (RFC 7692 §5 lets it)."""
HEAD_CLIENT = """RFC 7692 (permessage-deflate), peerspec the fake server: answers the client must reject, and frames
it must fail the connection on once the extension is in use. A client that offers no permessage-deflate
leaves a case that needs it not applicable."""


def main():
    s12, s13 = autobahn_cases("client")
    c12, c13 = autobahn_cases("server")
    auto = "Autobahn|Testsuite category {n}: compressed messages echoed and checked after inflation."
    write("cases/ws/7692-permessage-deflate.yaml", HEAD_SERVER, server_role_negotiation())
    write("cases/ws/7692-autobahn-12.yaml", auto.format(n=12), s12)
    write("cases/ws/7692-autobahn-13.yaml", auto.format(n=13), s13)
    write("cases/client/ws/deflate.yaml", HEAD_CLIENT, client_role_negotiation())
    write("cases/client/ws/deflate-autobahn-12.yaml", auto.format(n=12), c12)
    write("cases/client/ws/deflate-autobahn-13.yaml", auto.format(n=13), c13)


if __name__ == "__main__":
    main()
