#!/usr/bin/env python3
"""A minimal STOMP 1.0-1.2 broker over WebSocket (Python websockets, sync).

    stomp_server.py     (prints its port, then serves until SIGTERM or until
                         its stdin, when a pipe, closes)

Subprotocols v12.stomp, v11.stomp, v10.stomp (the highest the client offers;
none offered is accepted too). CONNECT/STOMP -> CONNECTED (version,
heart-beat 500,500, server, session); SUBSCRIBE/UNSUBSCRIBE; SEND -> a
MESSAGE to every subscription of its destination (content-type and
content-length passed on; in a binary WebSocket frame when the SEND came in
one, else text); a receipt header on any frame -> RECEIPT;
DISCONNECT -> RECEIPT (if asked), then close; anything else -> ERROR.
Heart-beats (a lone EOL) go out every max(500, client's cy) ms once
negotiated. One broker for all connections.
"""
import itertools
import os
import select
import signal
import stat
import sys
import threading

from websockets.sync.server import serve

SUBPROTOCOLS = ["v12.stomp", "v11.stomp", "v10.stomp"]
SERVER_HB = (500, 500)

lock = threading.Lock()
subscriptions = {}  # (connection, id) -> destination
message_ids = itertools.count(1)
sessions = itertools.count(1)

ESCAPES = {"\\": "\\\\", "\n": "\\n", ":": "\\c", "\r": "\\r"}
UNESCAPES = {"\\\\": "\\", "\\n": "\n", "\\c": ":", "\\r": "\r"}


def escape(value, version):
    if version == "1.0":
        return value
    return "".join(ESCAPES.get(ch, ch) for ch in value)


def unescape(value, version):
    if version == "1.0":
        return value
    out, i = [], 0
    while i < len(value):
        pair = value[i:i + 2]
        if pair in UNESCAPES:
            out.append(UNESCAPES[pair])
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def encode(command, headers, body=b"", version="1.2"):
    esc = command not in ("CONNECTED",)
    lines = [command] + [f"{escape(k, version) if esc else k}:{escape(v, version) if esc else v}"
                         for k, v in headers]
    return "\n".join(lines).encode() + b"\n\n" + body + b"\0"


def parse(buf, version):
    """Takes whole frames (and heart-beat EOLs) off the front of buf."""
    frames, beats = [], 0
    while True:
        while buf[:1] in (b"\n", b"\r") and buf:
            beats += 1 if buf[:1] == b"\n" else 0
            buf = buf[1:]
        head_end = buf.find(b"\n\n")
        crlf = buf.find(b"\r\n\r\n")
        if crlf != -1 and (head_end == -1 or crlf < head_end):
            head, rest = buf[:crlf], buf[crlf + 4:]
        elif head_end != -1:
            head, rest = buf[:head_end], buf[head_end + 2:]
        else:
            return frames, beats, buf
        lines = head.decode().replace("\r\n", "\n").split("\n")
        command, headers = lines[0], {}
        raw = command in ("CONNECT", "STOMP")
        for line in lines[1:]:
            k, _, v = line.partition(":")
            k, v = (k, v) if raw else (unescape(k, version), unescape(v, version))
            headers.setdefault(k, v)  # the first occurrence wins
        if "content-length" in headers:
            n = int(headers["content-length"])
            if len(rest) < n + 1:
                return frames, beats, buf
            body, rest = rest[:n], rest[n + 1:]
        else:
            nul = rest.find(b"\0")
            if nul == -1:
                return frames, beats, buf
            body, rest = rest[:nul], rest[nul + 1:]
        frames.append((command, headers, body))
        buf = rest


class Session:
    def __init__(self, ws):
        self.ws = ws
        self.version = "1.2"
        self.send_lock = threading.Lock()
        self.closed = threading.Event()

    def send(self, data, binary=False):
        with self.send_lock:
            self.ws.send(data if binary else data.decode())

    def frame(self, command, headers, body=b"", binary=False):
        self.send(encode(command, headers, body, self.version), binary)

    def beat(self, interval):
        while not self.closed.wait(interval / 1000):
            try:
                self.send(b"\n")
            except Exception:
                return


def negotiate(accept):
    for v in ("1.2", "1.1", "1.0"):
        if v in accept:
            return v
    return None


def handler(ws):
    s = Session(ws)
    buf = b""
    try:
        for message in ws:
            binary = isinstance(message, bytes)
            buf += message if binary else message.encode()
            frames, _, buf = parse(buf, s.version)
            for command, h, body in frames:
                if not handle(s, command, h, body, binary):
                    return
    finally:
        s.closed.set()
        with lock:
            for key in [k for k in subscriptions if k[0] is s]:
                del subscriptions[key]


def handle(s, command, h, body, binary):
    if command in ("CONNECT", "STOMP"):
        version = negotiate(h.get("accept-version", "1.0").split(","))
        if version is None:
            s.frame("ERROR", [("version", "1.2,1.1,1.0"), ("content-type", "text/plain"),
                              ("message", "Supported protocol versions are 1.0 1.1 1.2")])
            return False
        s.version = version
        headers = [("version", version), ("server", "wsdbg-stomp-peer/1"),
                   ("session", f"session-{next(sessions)}")]
        cx, cy = (int(x) for x in h.get("heart-beat", "0,0").split(","))
        if version != "1.0":
            headers.insert(1, ("heart-beat", f"{SERVER_HB[0]},{SERVER_HB[1]}"))
            if cy and SERVER_HB[0]:
                threading.Thread(target=s.beat, args=(max(SERVER_HB[0], cy),), daemon=True).start()
        s.frame("CONNECTED", headers)
        return True
    if command == "SUBSCRIBE":
        with lock:
            subscriptions[(s, h.get("id", h.get("destination")))] = h["destination"]
    elif command == "UNSUBSCRIBE":
        with lock:
            subscriptions.pop((s, h.get("id", h.get("destination"))), None)
    elif command == "SEND":
        with lock:
            targets = [(sub, sid) for (sub, sid), dest in subscriptions.items() if dest == h["destination"]]
        for sub, sid in targets:
            headers = [("subscription", sid), ("message-id", f"message-{next(message_ids)}"),
                       ("destination", h["destination"])]
            if "content-type" in h:
                headers.append(("content-type", h["content-type"]))
            if "content-length" in h:
                headers.append(("content-length", str(len(body))))
            try:
                sub.frame("MESSAGE", headers, body, binary)
            except Exception:
                pass
    elif command in ("ACK", "NACK", "BEGIN", "COMMIT", "ABORT", "DISCONNECT"):
        pass
    else:
        s.frame("ERROR", [("content-type", "text/plain"), ("message", f"unknown command {command}")])
        return False
    if "receipt" in h:
        s.frame("RECEIPT", [("receipt-id", h["receipt"])])
    if command == "DISCONNECT":
        s.closed.set()
        s.ws.close()
        return False
    return True


def select_subprotocol(connection, offered):
    for p in SUBPROTOCOLS:
        if p in offered:
            return p
    return None


def stdin_is_pipe():
    try:
        mode = os.fstat(0).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def main():
    server = serve(handler, "127.0.0.1", 0, subprotocols=SUBPROTOCOLS,
                   select_subprotocol=select_subprotocol, ping_interval=None)
    print(server.socket.getsockname()[1], flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if stdin_is_pipe():
        def watch():  # select first: the pipe may be non-blocking (shared with node)
            while True:
                select.select([0], [], [])
                try:
                    if not os.read(0, 4096):
                        break
                except BlockingIOError:
                    pass
            stop.set()
        threading.Thread(target=watch, daemon=True).start()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    while not stop.wait(0.2):
        pass
    server.shutdown()


if __name__ == "__main__":
    main()
