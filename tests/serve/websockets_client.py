"""A client written by others (Python's `websockets`) against `wsdbg serve`.

Run by tests/serve.rs as `python3 websockets_client.py PORT`. Connects to
ws://127.0.0.1:PORT/python?client=websockets, sends a text and a binary
message and checks their echoes, pings with a payload and waits for the pong,
then closes with 1000 and a reason. Prints one line per step; exits non-zero
(an AssertionError or the library's own error) when anything is off.
"""

import sys

from websockets.sync.client import connect

TEXT = "h\u00e9llo from python \u2713"
BINARY = bytes([0x00, 0x01, 0x02, 0x7F, 0x80, 0xFE, 0xFF])
PING = b"are you there?"
REASON = "bye from python"


def main(port: int) -> None:
    url = f"ws://127.0.0.1:{port}/python?client=websockets"
    with connect(url, open_timeout=5, close_timeout=5, user_agent_header="e2e-websockets") as ws:
        print("open", ws.response.status_code, flush=True)
        ws.send(TEXT)
        got = ws.recv(timeout=5)
        assert got == TEXT, f"text echo: sent {TEXT!r}, got {got!r}"
        print("text echoed", flush=True)
        ws.send(BINARY)
        got = ws.recv(timeout=5)
        assert got == BINARY, f"binary echo: sent {BINARY!r}, got {got!r}"
        print("binary echoed", flush=True)
        pong = ws.ping(PING)
        assert pong.wait(timeout=5), "no pong within 5 s"
        print("pong received", flush=True)
        ws.close(code=1000, reason=REASON)
        rcvd = ws.protocol.close_rcvd
        assert rcvd is not None, "the server sent no close frame"
        assert rcvd.code == 1000, f"the server answered close {rcvd.code}, not 1000"
        print("closed", rcvd.code, flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]))
