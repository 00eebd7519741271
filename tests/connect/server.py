"""Servers written by others (Python's `websockets`) for tests/connect.rs.

Run as `python3 server.py MODE`; prints `port N` once listening on
127.0.0.1, then serves one connection and exits. MODE:
  echo     echoes every message back with its type
  refuse   refuses the upgrade with 403 and a body
  big      sends one 16 MiB binary message, then closes with 1000
  deflate  echoes, with permessage-deflate on when the client offers it
  tls      echoes, over TLS with the certificate and key in the PEM files
           named by the next two arguments
  broken   sends "hello", then a text frame that is not UTF-8 (written
           straight to its socket: websockets itself never sends one),
           and prints `closed CODE` with the close code the client
           answered
"""

import ssl
import sys
from http import HTTPStatus

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import serve


def echo(ws):
    for message in ws:
        ws.send(message)


def big(ws):
    ws.send(bytes(range(256)) * (16 * 4096))
    ws.close(1000, "that was all")


def broken(ws):
    ws.send("hello")
    # FIN, text, 2 bytes: 0xC3 0x28 is not UTF-8.
    ws.socket.sendall(bytes([0x81, 0x02, 0xC3, 0x28]))
    try:
        for _ in ws:
            pass
    except ConnectionClosed:
        pass
    code = ws.close_code
    print("closed", code, flush=True)


def refuse(connection, request):
    return connection.respond(HTTPStatus.FORBIDDEN, "no entry for \x1b[31myou\n")


def main(mode, *files):
    handler = {"big": big, "broken": broken}.get(mode, echo)
    kwargs = {"process_request": refuse} if mode == "refuse" else {}
    compression = "deflate" if mode == "deflate" else None
    if mode == "tls":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(files[0], files[1])
        kwargs["ssl"] = context
    with serve(handler, "127.0.0.1", 0, max_size=None, compression=compression, **kwargs) as server:
        print("port", server.socket.getsockname()[1], flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:])
