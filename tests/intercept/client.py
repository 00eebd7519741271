"""A client nobody here wrote (Python websockets, permessage-deflate as it
offers by default) for tests/intercept.rs: connects to URL, sends each
argument as a text message, then prints each message it receives on a line
until it has COUNT of them, then sends "after" and prints the answer.

  client.py URL COUNT MESSAGE...
"""

import sys

from websockets.sync.client import connect

url, count, messages = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
with connect(url, open_timeout=10) as ws:
    print("deflate" if ws.protocol.extensions else "no deflate", flush=True)
    for m in messages:
        ws.send(m)
    for _ in range(count):
        print(ws.recv(timeout=20), flush=True)
    ws.send("after")
    print(ws.recv(timeout=10), flush=True)
