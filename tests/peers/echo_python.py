#!/usr/bin/env python3
"""An echo server on Python's `websockets` (17.4, its asyncio implementation,
websockets.asyncio.server.serve) with the library's defaults but two: max_size
raised from 1 MiB to 64 MiB, so the 16 MiB messages of Autobahn's cases 9.*
pass, and compression=None (no permessage-deflate offered or agreed). Every
text and binary message is sent back with its type (str or bytes); pings,
closes and protocol errors are left to websockets.

    python3 -m pip install --user websockets==17.4   # once
    python3 tests/peers/echo_python.py PORT          # listens on 127.0.0.1:PORT
    python3 tests/peers/echo_python.py PORT --tls CERT KEY   # wss://, PEM files

Prints nothing but errors (on stderr, by websockets' loggers at their default
level, WARNING: e.g. a failed opening handshake); a connection that ends with
an error is not one (websockets has already closed it as it should).
"""

import asyncio
import ssl
import sys

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

MAX_SIZE = 64 * 1024 * 1024


async def echo(ws):
    try:
        async for message in ws:
            await ws.send(message)
    except ConnectionClosed:
        pass


async def main(port, tls):
    context = None
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
    async with serve(
        echo, "127.0.0.1", port, max_size=MAX_SIZE, compression=None, ssl=context
    ) as server:
        await server.serve_forever()


if __name__ == "__main__":
    args = sys.argv[1:]
    tls = None
    if len(args) == 4 and args[1] == "--tls":
        tls = (args[2], args[3])
        args = args[:1]
    if len(args) != 1 or not args[0].isdigit():
        sys.exit("usage: echo_python.py PORT [--tls CERT KEY]")
    try:
        asyncio.run(main(int(args[0]), tls))
    except KeyboardInterrupt:
        pass
    except OSError as e:
        sys.exit(f"echo_python: {e}")
