#!/usr/bin/env bash
# Closed-loop WebSocket echo throughput of several servers, side by side, in
# one run on one machine: round trips per second at four load points and the
# ratios that matter for `wsdbg serve`.
#
# Usage: benches/echo.sh [--rounds N] [--duration SECS] [--warmup SECS]
#                        [--servers LIST] [--points LIST] [--pin split|none]
#
#   --rounds N       measure every server at every point N times (default 3)
#                    and report the median; the order of the servers rotates
#                    from round to round
#   --duration SECS  counted seconds per measurement (default 5)
#   --warmup SECS    uncounted seconds before that (default 1)
#   --servers LIST   comma-separated, from: websocat,node-ws,bare-echo,
#                    wsdbg-q,wsdbg-trace (default: all)
#   --points LIST    comma-separated SIZExCONNS (default 64x1,64x16,64x64,1Mx2;
#                    SIZE takes K and M suffixes for KiB and MiB)
#   --pin MODE       where the server and the client run (taskset):
#                    none (default): wherever the scheduler puts them;
#                    split: every server on CPU 0, the client on CPU 1;
#                    same: both on CPU 0. See benches/README.md: on this VM
#                    the 1-connection figure is 14x higher when both share a
#                    CPU, and unpinned runs land on either side.
#
# Servers, each on a free 127.0.0.1 port, all started once at the start and
# stopped at the end (also on an error or Ctrl-C):
#   websocat     websocat -B 4194304 -b ws-l:127.0.0.1:PORT mirror:
#                (installed into target/peers with cargo when missing)
#   websocat-default  the same without -B (not in the default list: its
#                64 KiB buffer splits 1 MiB messages, and the client says so)
#   node-ws      benches/echo/node/server.js, ws with perMessageDeflate off
#                (npm ci when node_modules is missing)
#   bare-echo    benches/echo/src/bare_echo.rs: thread per connection, no checks
#   wsdbg-q      target/release/wsdbg serve -q --listen 127.0.0.1:PORT
#   wsdbg-trace  target/release/wsdbg serve --trace --listen ... > file
# A server that cannot be had is skipped with a notice; the wsdbg entries are
# skipped while `wsdbg serve --help` fails.
#
# The load client is benches/echo/src/wsload.rs (plain std::net TCP, one
# thread per connection, TCP_NODELAY): each connection sends a masked binary
# message, waits for the whole echo, checks length and content, repeats.
set -euo pipefail

ROUNDS=3
DURATION=5
WARMUP=1
SERVERS=websocat,node-ws,bare-echo,wsdbg-q,wsdbg-trace
POINTS=64x1,64x16,64x64,1Mx2
PIN=none

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --duration) DURATION="$2"; shift 2 ;;
        --warmup) WARMUP="$2"; shift 2 ;;
        --servers) SERVERS="$2"; shift 2 ;;
        --points) POINTS="$2"; shift 2 ;;
        --pin) PIN="$2"; shift 2 ;;
        -h|--help) usage 0 ;;
        *) echo "echo.sh: unknown argument $1" >&2; usage 2 >&2 ;;
    esac
done
case "$PIN" in split|same|none) ;; *) echo "echo.sh: --pin is none, split or same" >&2; exit 2 ;; esac

cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
. benches/echo/servers.sh

TMPD=$(mktemp -d /tmp/wsdbg-echo.XXXXXX)
CLIENT_PID=
cleanup() {
    [ -n "$CLIENT_PID" ] && kill "$CLIENT_PID" 2>/dev/null
    stop_servers
    rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'echo "echo.sh: interrupted" >&2; exit 130' INT TERM

SERVER_CPU=()
CLIENT_CPU=()
if [ "$PIN" != none ]; then
    if [ "$(nproc)" -lt 2 ] || ! command -v taskset >/dev/null; then
        echo "echo.sh: --pin $PIN needs 2 CPUs and taskset (util-linux); use --pin none" >&2
        exit 2
    fi
    SERVER_CPU=(taskset -c 0)
    CLIENT_CPU=(taskset -c 1)
    [ "$PIN" = same ] && CLIENT_CPU=(taskset -c 0)
fi

build_tools
IFS=, read -r -a wanted <<<"$SERVERS"
prepare_servers "${wanted[@]}"
[ ${#READY[@]} -gt 0 ] || { echo "echo.sh: no server to measure" >&2; exit 1; }

echo "== starting ${READY[*]}"
for s in "${READY[@]}"; do
    start_server "$s" "$TMPD" "${SERVER_CPU[@]}" || true
done
[ ${#RUNNING[@]} -gt 0 ] || { echo "echo.sh: no server started" >&2; exit 1; }

IFS=, read -r -a points <<<"$POINTS"
RESULTS="$TMPD/results.tsv"
: >"$RESULTS"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $ROUNDS round(s) x ${#points[@]} point(s) x ${#RUNNING[@]} server(s), ${WARMUP} s warm-up + ${DURATION} s each, pin: $PIN"

n=${#RUNNING[@]}
for point in "${points[@]}"; do
    size=${point%x*}
    conns=${point#*x}
    for round in $(seq 1 "$ROUNDS"); do
        for i in $(seq 0 $((n - 1))); do
            s=${RUNNING[$(((i + round - 1) % n))]}
            pid=${PID[$s]}
            if ! kill -0 "$pid" 2>/dev/null; then
                echo "$point round $round $s: server is gone (see ${LOG[$s]})"
                printf '%s\t%s\t%s\t-\t-\t-\t-\n' "$s" "$point" "$round" >>"$RESULTS"
                continue
            fi
            "${CLIENT_CPU[@]}" "$WSLOAD" "127.0.0.1:${PORT[$s]}" --conns "$conns" --size "$size" \
                --warmup "$WARMUP" --duration "$DURATION" --server-pid "$pid" \
                >"$TMPD/out" 2>"$TMPD/err" &
            CLIENT_PID=$!
            status=0
            wait "$CLIENT_PID" || status=$?
            CLIENT_PID=
            if [ "$status" -ne 0 ]; then
                echo "$point round $round $s: FAILED: $(cat "$TMPD/err")"
                printf '%s\t%s\t%s\t-\t-\t-\t-\n' "$s" "$point" "$round" >>"$RESULTS"
                continue
            fi
            line=$(cat "$TMPD/out")
            get() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$line"; }
            cc=$(get client_cpu) sc=$(get server_cpu) mc=$(get machine_cpu)
            # CPU that other processes took meanwhile, in % of one core.
            other=$(( ${mc%\%} - ${cc%\%} - ${sc%\%} ))
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$point" "$round" "$(get rt_per_s)" \
                "$cc" "$sc" "$other" >>"$RESULTS"
            printf '%-6s round %s %-12s %10.0f rt/s  CPU: client %4s server %4s others %3s%%  steal %s  per conn %s..%s\n' \
                "$point" "$round" "$s" "$(get rt_per_s)" "$cc" "$sc" "$other" "$(get steal)" \
                "$(get conn_min | cut -d. -f1)" "$(get conn_max | cut -d. -f1)"
        done
    done
done
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
for s in "${RUNNING[@]}"; do
    [ "$s" = wsdbg-trace ] && echo "== wsdbg --trace wrote $(du -h "${TRACE_FILE}" | cut -f1) of trace"
done
echo

python3 - "$RESULTS" "$POINTS" "${RUNNING[*]}" "$ROUNDS" <<'EOF'
import statistics, sys

path, points, servers, rounds = sys.argv[1], sys.argv[2].split(","), sys.argv[3].split(), int(sys.argv[4])
label = {
    "websocat": "websocat", "websocat-default": "websocat (no -B)", "node-ws": "Node ws", "bare-echo": "bare echo",
    "wsdbg-q": "wsdbg serve -q", "wsdbg-trace": "wsdbg serve --trace",
}
runs = {}
cpu = {}
for line in open(path):
    s, p, r, rate, ccpu, scpu, other = line.rstrip("\n").split("\t")
    if rate != "-":
        runs.setdefault((s, p), []).append(float(rate))
        cpu.setdefault((s, p), []).append((ccpu, scpu, other))

def med(s, p):
    v = runs.get((s, p))
    return statistics.median(v) if v else None

def point_name(p):
    size, conns = p.split("x")
    size = {"1M": "1 MiB", "1MiB": "1 MiB"}.get(size, size if not size.isdigit() else size + " B")
    return f"{size} × {conns}"

def fmt(x):
    return "–" if x is None else f"{x:,.0f}"

def ratio(a, b):
    return "–" if a is None or b is None or b == 0 else f"{a / b:.2f}"

head = "| round trips/s (median of %d) | " % rounds + " | ".join(point_name(p) for p in points) + " |"
print(head)
print("|---|" + "---:|" * len(points))
# A median whose runs had other processes taking over OTHER_MAX % of a core
# (from /proc/stat) is marked: the machine was not quiet for it.
OTHER_MAX = 10
def busy(s, p):
    v = [float(c[2]) for c in cpu.get((s, p), []) if c[2] not in ("-", "")]
    return bool(v) and statistics.median(v) > OTHER_MAX
marked = False
for s in servers:
    cells = []
    for p in points:
        cells.append(fmt(med(s, p)) + (" †" if busy(s, p) else ""))
        marked |= busy(s, p)
    print(f"| {label.get(s, s)} | " + " | ".join(cells) + " |")

def peer(p):
    v = [x for x in (med("websocat", p), med("node-ws", p)) if x is not None]
    return max(v) if v else None

rows = [
    ("**wsdbg -q / faster peer**", lambda p: ratio(med("wsdbg-q", p), peer(p))),
    ("**wsdbg -q / bare echo**", lambda p: ratio(med("wsdbg-q", p), med("bare-echo", p))),
    ("**wsdbg --trace / wsdbg -q**", lambda p: ratio(med("wsdbg-trace", p), med("wsdbg-q", p))),
    ("bare echo / faster peer", lambda p: ratio(med("bare-echo", p), peer(p))),
]
for name, f in rows:
    print(f"| {name} | " + " | ".join(f(p) for p in points) + " |")

if marked:
    print()
    print(f"† other processes took over {OTHER_MAX}% of a core (median over the rounds) while this was measured: not a clean figure.")

if rounds > 1:
    print()
    print("| spread: min–max over rounds | " + " | ".join(point_name(p) for p in points) + " |")
    print("|---|" + "---:|" * len(points))
    for s in servers:
        cells = []
        for p in points:
            v = runs.get((s, p))
            cells.append("–" if not v else f"{min(v):,.0f}–{max(v):,.0f}")
        print(f"| {label.get(s, s)} | " + " | ".join(cells) + " |")

print()
print("| CPU: client / server / other processes (% of one core, median) | " + " | ".join(point_name(p) for p in points) + " |")
print("|---|" + "---:|" * len(points))
def pct_med(v, i):
    xs = [float(c[i].rstrip("%")) for c in v if c[i] not in ("?", "-", "")]
    return f"{statistics.median(xs):.0f}" if xs else "?"
for s in servers:
    cells = []
    for p in points:
        v = cpu.get((s, p))
        cells.append("–" if not v else f"{pct_med(v, 0)} / {pct_med(v, 1)} / {pct_med(v, 2)}")
    print(f"| {label.get(s, s)} | " + " | ".join(cells) + " |")
EOF
