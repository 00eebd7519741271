"""Clients nobody here wrote, through wsdbg's forward proxy (run by
tests/forward.rs).

  client.py ws URL PROXY [CAFILE]
      Python websockets' own client with proxy=PROXY: sends "one", "two",
      "three" and prints each answer on a line.
  client.py get URL PROXY|- CAFILE
      urllib GET (through PROXY, or directly with -), trusting CAFILE only:
      prints the status, each header but Date, and the body's length and
      SHA-256, so that two runs compare byte for byte.
"""

import hashlib
import ssl
import sys
import urllib.error
import urllib.request


def ws(url, proxy, cafile=None):
    from websockets.sync.client import connect

    ctx = ssl.create_default_context(cafile=cafile) if cafile else None
    with connect(url, proxy=proxy, ssl=ctx, open_timeout=10) as conn:
        for m in ["one", "two", "three"]:
            conn.send(m)
            print(conn.recv(timeout=10), flush=True)


def get(url, proxy, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    proxies = {} if proxy == "-" else {"http": proxy, "https": proxy}
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler(proxies), urllib.request.HTTPSHandler(context=ctx)
    )
    try:
        r = opener.open(url, timeout=10)
        status, headers, body = r.status, r.getheaders(), r.read()
    except urllib.error.HTTPError as e:
        status, headers, body = e.code, e.headers.items(), e.read()
    print(status)
    for k, v in headers:
        if k.lower() != "date":
            print(f"{k}: {v}")
    print(len(body), hashlib.sha256(body).hexdigest())


if __name__ == "__main__":
    {"ws": ws, "get": get}[sys.argv[1]](*sys.argv[2:])
