#!/usr/bin/env python3
"""Socket.IO client (python-socketio), WebSocket transport only.

    socketio_client.py http://127.0.0.1:PORT

Connects to "/" and "/chat"; emits "chat" with a dict on /chat and waits for
the server's "reply"; emits "add" 2, 3 with an ack (5); emits "upload" with
bytes (a BINARY_EVENT with one attachment), receiving its ack (4) and the
server's "download" (bytes, reversed); waits 1.5 s so an Engine.IO ping/pong
passes; disconnects ("41", "41/chat,", "1", then the close handshake). Prints one line per thing received. Exits 0 on success.
"""
import signal
import sys
import threading
import time

import socketio

TIMEOUT = 10


def orderly_close(eio):
    """Works around two races of python-engineio's client on websocket-client.

    Client.disconnect() queues the DISCONNECT packets and Engine.IO's CLOSE
    ("41", "41/chat,", "1") for its writer thread, then closes the WebSocket
    from the calling thread: the close frame can go out before those packets.
    And when its reader thread, not close(), reads the server's close frame,
    websocket-client answers it with a second close frame. So: close only once
    the writer has sent what is queued (1 s at most), and answer no close."""
    ws, queue = eio.ws, eio.queue
    close = ws.close

    def close_after_queue(*args, **kwargs):
        deadline = time.monotonic() + 1
        while queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        ws.send_close = lambda *a, **k: None
        return close(*args, **kwargs)

    ws.close = close_after_queue


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: socketio_client.py http://HOST:PORT")
    url = sys.argv[1].replace("ws://", "http://", 1).replace("wss://", "https://", 1)
    signal.signal(signal.SIGALRM, lambda *_: (print("socketio_client: timed out", file=sys.stderr, flush=True), sys.exit(2)))
    signal.alarm(TIMEOUT)

    sio = socketio.Client(reconnection=False)
    got = {name: threading.Event() for name in ("reply", "download", "disconnect")}

    def out(line):
        print(line, flush=True)

    @sio.event
    def connect():
        out("connected /")

    @sio.on("connect", namespace="/chat")
    def chat_connect():
        out("connected /chat")

    @sio.on("reply", namespace="/chat")
    def reply(data):
        out(f"reply {data['echo']} from {data['from']}")
        got["reply"].set()

    @sio.event
    def download(data):
        out(f"download {data['name']} {bytes(data['data']).hex()}")
        got["download"].set()

    @sio.event
    def disconnect(*_):
        out("disconnected")
        got["disconnect"].set()

    def wait(name):
        if not got[name].wait(5):
            sys.exit(f"socketio_client: no {name} from the server")

    sio.connect(url, namespaces=["/", "/chat"], transports=["websocket"], wait_timeout=5)
    sio.emit("chat", {"text": "hello", "n": 1}, namespace="/chat")
    wait("reply")
    out(f"ack add {sio.call('add', (2, 3), timeout=5)}")
    size = sio.call("upload", {"name": "blob", "data": b"\x00\x01\x02\xff"}, timeout=5)
    wait("download")  # sent before the ack; printed first whatever the threads do
    out(f"ack upload {size}")
    sio.sleep(1.5)
    orderly_close(sio.eio)
    sio.disconnect()
    wait("disconnect")
    out("done")


if __name__ == "__main__":
    main()
