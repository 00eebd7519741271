"""Markdown tables of benches/echo.sh's results.

Usage: table.py RESULTS POINTS SERVERS ROUNDS OTHER_MAX

RESULTS holds one line per measurement, tab-separated: server, point
(SIZExCONNS), round, round trips per second, client CPU, server CPU (as
"87%") and the CPU other processes took meanwhile (% of one core); "-" for
a measurement that failed. POINTS is comma-separated, SERVERS
space-separated, in the order of the table.

Each cell is the median over the rounds of the *clean* measurements (other
processes under OTHER_MAX % of a core) when there is one; otherwise the
median of all, marked with a dagger.
"""

import statistics
import sys

path, points, servers = sys.argv[1], sys.argv[2].split(","), sys.argv[3].split()
rounds, other_max = int(sys.argv[4]), float(sys.argv[5])

LABEL = {
    "websocat": "websocat",
    "websocat-default": "websocat (no -B)",
    "node-ws": "Node ws",
    "bare-echo": "bare echo",
    "wsdbg-q": "wsdbg serve -q",
    "wsdbg-before-q": "wsdbg serve -q (before)",
    "wsdbg-trace": "wsdbg serve --trace",
    "wsdbg-record-q": "wsdbg serve -q --record",
}

runs = {}  # (server, point) -> [(rate, client %, server %, others %)]
failed = set()  # (server, point) with a failed measurement
for line in open(path):
    s, p, _round, rate, ccpu, scpu, other = line.rstrip("\n").split("\t")
    if rate == "-":
        failed.add((s, p))
    else:
        pct = lambda x: float(x.rstrip("%")) if x not in ("?", "") else None
        runs.setdefault((s, p), []).append((float(rate), pct(ccpu), pct(scpu), float(other)))


def chosen(s, p):
    """The runs a cell is made of, and whether they are clean."""
    v = runs.get((s, p), [])
    clean = [r for r in v if r[3] <= other_max]
    return (clean, True) if clean else (v, False)


def med(s, p):
    v, _ = chosen(s, p)
    return statistics.median(r[0] for r in v) if v else None


def point_name(p):
    size, conns = p.split("x")
    if size.isdigit():
        size += " B"
    else:
        size = size.rstrip("iB").replace("K", " KiB").replace("M", " MiB").replace("k", " KiB")
    return f"{size} × {conns}"


def fmt(x):
    return "–" if x is None else f"{x:,.0f}"


def ratio(a, b):
    return "–" if a is None or b is None or b == 0 else f"{a / b:.2f}"


def peer(p):
    v = [x for x in (med("websocat", p), med("node-ws", p)) if x is not None]
    return max(v) if v else None


def header(title):
    print(f"| {title} | " + " | ".join(point_name(p) for p in points) + " |")
    print("|---|" + "---:|" * len(points))


header(f"round trips/s (median of {rounds})")
marked = False
for s in servers:
    cells = []
    for p in points:
        v, clean = chosen(s, p)
        dagger = bool(v) and not clean
        marked |= dagger
        cell = fmt(med(s, p)) + (" †" if dagger else "")
        if (s, p) in failed:
            cell = "failed" if cell == "–" else cell + " (a round failed)"
        cells.append(cell)
    print(f"| {LABEL.get(s, s)} | " + " | ".join(cells) + " |")
rows = [
    ("**wsdbg -q / faster peer**", lambda p: ratio(med("wsdbg-q", p), peer(p))),
    ("**wsdbg -q / bare echo**", lambda p: ratio(med("wsdbg-q", p), med("bare-echo", p))),
    ("**wsdbg --trace / wsdbg -q**", lambda p: ratio(med("wsdbg-trace", p), med("wsdbg-q", p))),
    ("**wsdbg -q --record / wsdbg -q**", lambda p: ratio(med("wsdbg-record-q", p), med("wsdbg-q", p))),
    ("bare echo / faster peer", lambda p: ratio(med("bare-echo", p), peer(p))),
]
for name, f in rows:
    print(f"| {name} | " + " | ".join(f(p) for p in points) + " |")
print()
print(
    f"Medians of the clean runs (other processes under {other_max:.0f}% of a core); "
    "the faster peer is the faster of websocat and Node ws at that point."
)
if marked:
    print(f"† no clean run: other processes took over {other_max:.0f}% of a core in every round; the median of all.")

print()
header("spread: min–max of those runs (clean/all)")
for s in servers:
    cells = []
    for p in points:
        v, _ = chosen(s, p)
        n_clean = sum(1 for r in runs.get((s, p), []) if r[3] <= other_max)
        n_all = len(runs.get((s, p), []))
        if not v:
            cells.append("–")
        else:
            lo, hi = min(r[0] for r in v), max(r[0] for r in v)
            cells.append(f"{lo:,.0f}–{hi:,.0f} ({n_clean}/{n_all})")
    print(f"| {LABEL.get(s, s)} | " + " | ".join(cells) + " |")

print()
header("CPU: client / server / others, % of one core (medians)")


def pmed(v, i):
    xs = [r[i] for r in v if r[i] is not None]
    return f"{statistics.median(xs):.0f}" if xs else "?"


for s in servers:
    cells = []
    for p in points:
        v, _ = chosen(s, p)
        cells.append("–" if not v else f"{pmed(v, 1)} / {pmed(v, 2)} / {pmed(v, 3)}")
    print(f"| {LABEL.get(s, s)} | " + " | ".join(cells) + " |")

print()
header("server CPU per round trip, µs (median)")


def server_us(s, p):
    v, _ = chosen(s, p)
    xs = [r[2] / 100 / r[0] * 1e6 for r in v if r[2] is not None and r[0] > 0]
    return statistics.median(xs) if xs else None


def us(x):
    return "–" if x is None else f"{x:,.1f}" if x < 100 else f"{x:,.0f}"


for s in servers:
    print(f"| {LABEL.get(s, s)} | " + " | ".join(us(server_us(s, p)) for p in points) + " |")
for name, a, b in [
    ("**wsdbg -q / bare echo**", "wsdbg-q", "bare-echo"),
    ("**wsdbg --trace / wsdbg -q**", "wsdbg-trace", "wsdbg-q"),
]:
    print(f"| {name} | " + " | ".join(ratio(server_us(a, p), server_us(b, p)) for p in points) + " |")
print()
print(
    "The server process's CPU time (/proc/PID/stat) over the round trips it served: "
    "its own cost, without the client's; in-kernel work done for it on its "
    "threads is included."
)
