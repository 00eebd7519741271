#!/usr/bin/env python3
"""Writes a pcap of one WebSocket connection for benches/capture.sh.

  make.py small OUT --messages N   N text messages of 90 bytes each way
                                   (a client's masked frame, the server's
                                   echo), a packet each, with ACKs
  make.py big OUT --mib M          about M MiB of binary messages of
                                   1 MiB, in segments of 64000 bytes

Ethernet, IPv4 (header checksums computed), TCP 127.0.0.1:40000 ->
127.0.0.1:8080, with the upgrade handshake first, so that tshark's
dissector and wsdbg both find the connection. Plain Python: no
WebSocket library, no capture privileges.
"""

import os
import struct
import sys

CLIENT = (bytes([127, 0, 0, 1]), 40000)
SERVER = (bytes([127, 0, 0, 1]), 8080)
REQUEST = (
    b"GET /bench HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n\r\n"
)
RESPONSE = (
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
)


def checksum(header):
    s = sum(struct.unpack("!10H", header))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Writer:
    def __init__(self, out):
        self.out = out
        self.seq = {0: 1000, 1: 5000000}
        self.t = 0
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))

    def packet(self, side, payload, flags=0x18):
        src, dst = (CLIENT, SERVER) if side == 0 else (SERVER, CLIENT)
        tcp = struct.pack(
            "!HHIIBBHHH",
            src[1], dst[1], self.seq[side], self.seq[1 - side],
            5 << 4, flags, 65535, 0, 0,
        )
        total = 20 + len(tcp) + len(payload)
        ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 6, 0, src[0], dst[0]))
        ip[10:12] = struct.pack("!H", checksum(bytes(ip)))
        frame = b"\x00" * 12 + b"\x08\x00" + bytes(ip) + tcp + payload
        self.t += 10
        self.out.write(struct.pack("<IIII", self.t // 1000000, self.t % 1000000, len(frame), len(frame)))
        self.out.write(frame)
        self.seq[side] = (self.seq[side] + len(payload) + (1 if flags & 0x02 else 0)) & 0xFFFFFFFF

    def open(self):
        self.packet(0, b"", 0x02)
        self.packet(1, b"", 0x12)
        self.packet(0, b"", 0x10)
        self.packet(0, REQUEST)
        self.packet(1, RESPONSE)


def frame(payload, opcode, key):
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, (0x80 if key else 0) | n])
    elif n < 65536:
        head = bytes([0x80 | opcode, (0x80 if key else 0) | 126]) + struct.pack("!H", n)
    else:
        head = bytes([0x80 | opcode, (0x80 if key else 0) | 127]) + struct.pack("!Q", n)
    if not key:
        return head + payload
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + key + masked


def main():
    kind, out = sys.argv[1], sys.argv[2]
    with open(out, "wb") as f:
        w = Writer(f)
        w.open()
        if kind == "small":
            n = int(sys.argv[sys.argv.index("--messages") + 1])
            key = b"\x37\xfa\x21\x3d"
            text = b"x" * 90
            client = frame(text, 1, key)
            server = frame(text, 1, None)
            for _ in range(n):
                w.packet(0, client)
                w.packet(1, server)
        else:
            mib = int(sys.argv[sys.argv.index("--mib") + 1])
            payload = os.urandom(1 << 20)
            whole = frame(payload, 2, None)
            for _ in range(mib):
                for i in range(0, len(whole), 64000):
                    w.packet(1, whole[i:i + 64000])
                w.packet(0, b"", 0x10)


if __name__ == "__main__":
    main()
