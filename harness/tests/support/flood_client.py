"""A hostile client for server-role flood tests: connects to 127.0.0.1:PORT and floods tiny
protocol units for at most SECONDS (or until peerspec closes).

    python3 flood_client.py KIND PORT [SECONDS [PIDFILE]]

KIND: http1 (a POST with a chunked body of 1-byte chunks), ws (an opening handshake, then a
fragmented message of 1-byte masked fragments), h2 (the preface, a POST and 1-byte DATA frames),
hpackbomb (the preface, then a 65 KB field block that decodes to 246 MB), forkwait (fork a grandchild that sleeps, print both pids and write them to PIDFILE, then sleep;
never connects).
"""
import os
import socket
import struct
import sys
import time

kind, port = sys.argv[1], int(sys.argv[2])
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 15.0
until = time.monotonic() + seconds

if kind == "forkwait":
    pid = os.fork()
    if pid == 0:
        time.sleep(seconds)
        os._exit(0)
    print(f"child {os.getpid()} grandchild {pid}", flush=True)
    if len(sys.argv) > 4:
        with open(sys.argv[4] + ".tmp", "w") as f:
            f.write(f"{os.getpid()} {pid}\n")
        os.rename(sys.argv[4] + ".tmp", sys.argv[4])
    time.sleep(seconds)
    sys.exit(0)

s = socket.create_connection(("127.0.0.1", port))


def frame(kind, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def hpack_bomb(pseudo):
    """A field block of about 65 KB that decodes to about 246 MB: one 4000-byte value added to
    the dynamic table, then 61,000 one-byte references to it (RFC 9113 §10.5.1)."""
    value = b"v" * 4000
    # Literal with incremental indexing, new name "x", value of 4000 bytes (7-bit prefix int).
    n = len(value) - 127
    length = bytearray([0x7f])
    while n >= 128:
        length.append((n & 0x7f) | 0x80)
        n >>= 7
    length.append(n)
    literal = b"\x40\x01x" + bytes(length) + value
    return pseudo + literal + b"\xbe" * 61000


def headers_then_continuations(stream, block):
    pieces = [block[i:i + 16384] for i in range(0, len(block), 16384)]
    out = frame(1, 0, stream, pieces[0])
    for i, piece in enumerate(pieces[1:]):
        out += frame(9, 4 if i == len(pieces) - 2 else 0, stream, piece)
    return out


if kind == "http1":
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    unit = b"1\r\nx\r\n"
elif kind == "ws":
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    s.sendall(bytes([0x01, 0x81, 0, 0, 0, 0]) + b"x")  # text, FIN=0, masked with a zero key
    unit = bytes([0x00, 0x81, 0, 0, 0, 0]) + b"x"
elif kind == "h2":
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b""))
    # HEADERS, END_HEADERS: :method POST, :scheme http, :path /, :authority x
    s.sendall(frame(1, 4, 1, b"\x83\x86\x84\x41\x01x"))
    unit = frame(0, 0, 1, b"x")
elif kind == "hpackbomb":
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b""))
    block = hpack_bomb(b"\x83\x86\x84\x41\x01x")
    s.sendall(headers_then_continuations(1, block))
    time.sleep(seconds)
    sys.exit(0)
else:
    sys.exit(f"unknown kind {kind}")

batch = unit * max(1, 65536 // len(unit))
try:
    while time.monotonic() < until:
        s.sendall(batch)
except OSError:
    pass
