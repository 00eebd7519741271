#!/usr/bin/env python3
"""STOMP 1.2 over WebSocket client (stomp.py's WSStompConnection).

    stomp_client.py ws://127.0.0.1:PORT/

Offers the subprotocols v12.stomp, v11.stomp, v10.stomp (stomp.py offers none
by itself: they go in as a header). STOMP (stomp.py's default over CONNECT)
with heart-beat 500,500 -> CONNECTED; SUBSCRIBE /queue/test (id sub-0, with
a receipt) -> RECEIPT; SEND "hello" (text/plain, no content-length); SEND
"two\\0parts" (content-length 9, so its body holds a NUL); receives both as
MESSAGE; waits until a heart-beat has come from the server and one has gone
to it (500 ms after connecting); then
DISCONNECT with a receipt -> RECEIPT, close. Prints one line per thing
received; exits 0 on success.
"""
import signal
import sys
import threading
import urllib.parse

import stomp
from stomp.adapter.ws import WSStompConnection

TIMEOUT = 5


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: stomp_client.py ws://HOST:PORT/PATH")
    u = urllib.parse.urlsplit(sys.argv[1])
    signal.signal(signal.SIGALRM, lambda *_: (print("stomp_client: timed out", file=sys.stderr, flush=True), sys.exit(2)))
    signal.alarm(12)

    def out(line):
        print(line, flush=True)

    got = {name: threading.Event() for name in ("connected", "sub-receipt", "hello", "two", "heartbeat",
                                                 "sent-heartbeat", "disconnected")}

    class Listener(stomp.ConnectionListener):
        def on_connected(self, frame):
            out(f"connected version={frame.headers.get('version')} heart-beat={frame.headers.get('heart-beat')}")
            got["connected"].set()

        def on_receipt(self, frame):
            out(f"receipt {frame.headers['receipt-id']}")
            if frame.headers["receipt-id"] == "sub-0-receipt":
                got["sub-receipt"].set()

        def on_message(self, frame):
            body = frame.body if isinstance(frame.body, str) else frame.body.decode()
            length = frame.headers.get("content-length", "-")
            out(f"message {frame.headers['destination']} content-length={length} {body!r}")
            got["two" if body.startswith("two") else body].set()

        def on_heartbeat(self):
            if not got["heartbeat"].is_set():
                out("heartbeat")
                got["heartbeat"].set()

        def on_send(self, frame):
            if frame.cmd is None and not got["sent-heartbeat"].is_set():  # a heart-beat
                out("heartbeat sent")
                got["sent-heartbeat"].set()

        def on_error(self, frame):
            out(f"error {frame.headers.get('message')}")

        def on_disconnected(self):
            got["disconnected"].set()

    def wait(name):
        if not got[name].wait(TIMEOUT):
            sys.exit(f"stomp_client: no {name}")

    conn = WSStompConnection([(u.hostname, u.port or 80)], ws_path=u.path or "/",
                             header={"Sec-WebSocket-Protocol": "v12.stomp, v11.stomp, v10.stomp"},
                             heartbeats=(500, 500), auto_content_length=False,
                             reconnect_attempts_max=1, timeout=TIMEOUT)
    conn.set_listener("peer", Listener())
    conn.connect(wait=True)
    wait("connected")
    conn.subscribe("/queue/test", id="sub-0", receipt="sub-0-receipt")
    wait("sub-receipt")
    conn.send("/queue/test", "hello", content_type="text/plain")
    wait("hello")
    conn.send("/queue/test", "two\0parts", headers={"content-length": "9"})
    wait("two")
    wait("heartbeat")
    wait("sent-heartbeat")
    conn.disconnect(receipt="bye")
    wait("disconnected")
    out("disconnected")


if __name__ == "__main__":
    main()
