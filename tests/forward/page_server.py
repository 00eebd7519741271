"""An https server nobody here wrote (Python websockets over OpenSSL) for
the browser test of the forward proxy (tests/browser.rs): GET / is a page
whose script opens wss:// back to this server, /ws echoes every message.

  page_server.py CERT KEY    prints "listening PORT", serves until killed
"""

import ssl
import sys

from websockets.datastructures import Headers
from websockets.http11 import Response
from websockets.sync.server import serve

PAGE = b"""<!doctype html>
<meta charset="utf-8">
<title>through wsdbg's forward proxy</title>
<ul id="log"></ul>
<script>
const log = (cls, text) => {
  const li = document.createElement("li");
  li.className = cls;
  li.textContent = text;
  document.getElementById("log").append(li);
};
const ws = new WebSocket("wss://" + location.host + "/ws");
ws.binaryType = "arraybuffer";
ws.onopen = () => {
  ws.send("hello through the proxy");
  ws.send(new Uint8Array([1, 2, 3, 250]));
};
ws.onmessage = (e) => {
  log("in", typeof e.data === "string" ? e.data : "binary " + new Uint8Array(e.data).join(","));
  if (document.querySelectorAll("#log li.in").length === 2) ws.close(1000, "page done");
};
ws.onclose = (e) => log("closed", "closed " + e.code);
ws.onerror = () => log("error", "error");
</script>
"""


def page(connection, request):
    if request.path == "/ws":
        return None
    return Response(
        200,
        "OK",
        Headers([("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(PAGE)))]),
        PAGE,
    )


def echo(ws):
    for message in ws:
        ws.send(message)


def main(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    with serve(echo, "127.0.0.1", 0, ssl=ctx, process_request=page) as server:
        print("listening", server.socket.getsockname()[1], flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:])
