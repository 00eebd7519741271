#!/usr/bin/env python3
"""A client on Python's `websockets` (17.4, its sync client) for `wsdbg serve
--check`: it connects, echoes every message back with its type, and connects
again once the server has closed, until the server closes with 4000 (every
case has run), then exits 0. Pings, closes and protocol errors are left to
websockets, with its defaults but max_size (None: no limit).

    python3 tests/peers/client_python.py ws://127.0.0.1:PORT/

Prints one line per connection on stdout: its close code (or the error).
Gives up after 200 connections.
"""

import sys

from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import connect


def main(url):
    for _ in range(200):
        try:
            with connect(url, max_size=None, open_timeout=10) as ws:
                try:
                    for message in ws:
                        ws.send(message)
                except ConnectionClosed:
                    pass
            code = ws.close_code
        except (ConnectionClosed, InvalidHandshake, OSError) as e:
            print(f"error {type(e).__name__}: {e}", flush=True)
            continue
        print(f"closed {code}", flush=True)
        if code == 4000:
            return 0
    return 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: client_python.py URL")
    sys.exit(main(sys.argv[1]))
