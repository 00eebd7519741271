"""A client on Python's `websockets` (17.4, its sync client) for
tests/replay.rs: one conversation with tests/replay/server.py, printed.

    python3 client.py URL [other]

Sends "hello", an "add" request, a binary message, a text in two
fragments, a ping, then "bye"; after each, it prints the answers that
came (one line each, as Python's repr) until the server closes. With
`other`, it sends "hello?" instead of "hello" and adds 2 and 3 instead of
1 and 2. Exits 0 once the server has closed.
"""

import json
import sys

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect


def main(url, other):
    with connect(url, open_timeout=10, compression=None) as ws:
        def answer():
            print(repr(ws.recv(timeout=10)), flush=True)

        ws.send("hello?" if other else "hello")
        answer()
        ws.send(json.dumps({"op": "add", "id": 7, "a": 2 if other else 1, "b": 3 if other else 2}))
        answer()
        ws.send(bytes([0, 1, 2, 255]))
        answer()
        ws.send(iter(["frag", "mented"]))
        answer()
        ws.ping(b"are you there").wait(10)
        ws.send("bye")
        try:
            while True:
                answer()
        except ConnectionClosed:
            pass
    print(f"closed {ws.close_code}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: client.py URL [other]")
    main(sys.argv[1], len(sys.argv) == 3 and sys.argv[2] == "other")
