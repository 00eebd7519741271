"""A small application server on Python's `websockets` (17.4, its sync
server) for tests/replay.rs: the server whose session is recorded, and the
same server changed, for the replay to tell apart.

Run as `python3 server.py MODE`; prints `port N` once listening on
127.0.0.1, then serves connections until killed. What it says:
  "hello"                           -> "hi there"
  {"op": "add", "id": N, "a", "b"}  -> {"id": N, "sum": a + b, "at": <time>}
  a binary message                  -> its bytes reversed
  "bye"                             -> "see you", then it closes with 1000
  any other text                    -> "echo: " and the text
MODE normal says the above; MODE changed answers "hello" with
"hi there!", drops the answer to "add", and says "surprise" after the
binary answer.
"""

import json
import sys
import time

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import serve


def handler(changed):
    def handle(ws):
        try:
            for message in ws:
                if isinstance(message, bytes):
                    ws.send(message[::-1])
                    if changed:
                        ws.send("surprise")
                    continue
                if message == "hello":
                    ws.send("hi there!" if changed else "hi there")
                elif message == "bye":
                    ws.send("see you")
                    ws.close(1000, "bye")
                    return
                elif message.startswith("{"):
                    m = json.loads(message)
                    if not changed:
                        ws.send(json.dumps(
                            {"id": m["id"], "sum": m["a"] + m["b"], "at": time.time()}
                        ))
                else:
                    ws.send("echo: " + message)
        except ConnectionClosed:
            pass

    return handle


def main(mode):
    if mode not in ("normal", "changed"):
        sys.exit("usage: server.py normal|changed")
    with serve(handler(mode == "changed"), "127.0.0.1", 0, compression=None) as server:
        print(f"port {server.socket.getsockname()[1]}", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) == 2 else "")
