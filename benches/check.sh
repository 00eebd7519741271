#!/usr/bin/env bash
# How long `wsdbg check` takes beside the Autobahn testsuite's wstest, on the
# same echo server and the same cases (1-10: sections 1-7, 9 and 10): wall
# seconds of each tool, medians over the runs, and the ratio check / wstest.
# Each run's verdict counts are kept, and the table says whether the two
# tools found the same FAILED cases.
#
# Usage: benches/check.sh [--servers LIST] [--check-runs N] [--wstest-runs N]
#                         [--jobs LIST] [--cases LIST]
#
#   --servers LIST     comma-separated, from: wsdbg-q, python-websockets,
#                      node-ws (default: all three)
#   --check-runs N     runs of `wsdbg check` per server and -j (default 5)
#   --wstest-runs N    runs of wstest per server (default 2; about 20 s each)
#   --jobs LIST        check's -j values to time, comma-separated (default
#                      4,1: its default, four cases at once, and one case at
#                      a time, as wstest runs them)
#   --cases LIST       the cases, as both tools take them (default
#                      1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*)
#
# Servers, each on a free 127.0.0.1 port, started once, run against by both
# tools in rounds (wstest, then check at each -j; the rounds after the
# wstest runs are check only), and stopped (TERM, then KILL after 3 s, by the
# PID the script started), also on an error or Ctrl-C:
#   wsdbg-q            target/release/wsdbg serve -q --no-console --listen 127.0.0.1:PORT
#   python-websockets  python3 tests/peers/echo_python.py PORT (websockets 17.4;
#                      skipped when python3 cannot import it)
#   node-ws            node tests/peers/echo_node.mjs PORT (ws 8.23.0 from
#                      tests/browser: npm ci there when it is missing)
#
# wstest runs through tests/autobahn/run.py (without --strict), which reads
# its report; it is looked for as run.py looks for it ($WSTEST, else
# ${PYTHONUSERBASE:-~/.local}/bin/wstest; tests/autobahn/install.sh installs
# it). Its time is run.py's wall time: starting wstest (about 1 s of Python
# 2.7 imports) is part of using it. check's is the wall time of
# `wsdbg check --json --cases LIST URL`.
#
# WSDBG=/path/to/wsdbg measures that binary instead of building
# target/release/wsdbg. Results stay in target/bench-check/results-*.tsv.
set -euo pipefail

SERVERS=wsdbg-q,python-websockets,node-ws
CHECK_RUNS=5
WSTEST_RUNS=2
JOBS=4,1
CASES='1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*'

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
    case "$1" in
        --servers) SERVERS="$2"; shift 2 ;;
        --check-runs) CHECK_RUNS="$2"; shift 2 ;;
        --wstest-runs) WSTEST_RUNS="$2"; shift 2 ;;
        --jobs) JOBS="$2"; shift 2 ;;
        --cases) CASES="$2"; shift 2 ;;
        -h|--help) usage 0 ;;
        *) echo "check.sh: unknown argument $1" >&2; usage 2 >&2 ;;
    esac
done

cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
WSDBG_GIVEN=${WSDBG:+yes}
WSDBG="${WSDBG:-$ROOT/target/release/wsdbg}"
if [ -n "${WSTEST:-}" ]; then
    WSTEST_BIN=$WSTEST
else
    WSTEST_BIN="${PYTHONUSERBASE:-$HOME/.local}/bin/wstest"
fi

notice() { echo "== $*" >&2; }

if [ ! -x "$WSTEST_BIN" ]; then
    echo "check.sh: wstest is missing at $WSTEST_BIN: tests/autobahn/install.sh installs it" >&2
    exit 1
fi
if [ -n "$WSDBG_GIVEN" ]; then
    echo "== wsdbg: $WSDBG (WSDBG), not built here"
else
    echo "== cargo build --release (wsdbg)"
    cargo build --release --quiet
fi
[ -x "$WSDBG" ] || { echo "check.sh: no wsdbg at $WSDBG" >&2; exit 1; }

OUT="$ROOT/target/bench-check"
mkdir -p "$OUT"
RESULTS="$OUT/results-$(date -u +%Y%m%dT%H%M%SZ).tsv"
TMPD=$(mktemp -d /tmp/wsdbg-bench-check.XXXXXX)
SERVER_PID=
stop_server() {
    local pid=$SERVER_PID
    [ -n "$pid" ] || return 0
    SERVER_PID=
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 30); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    stop_server
    rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'echo "check.sh: interrupted" >&2; exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_listening PORT: until 127.0.0.1:PORT accepts (20 s at most) while the
# server lives.
wait_listening() {
    local i
    for i in $(seq 200); do
        kill -0 "$SERVER_PID" 2>/dev/null || return 1
        if python3 -c "import socket, sys; socket.create_connection(('127.0.0.1', $1), 0.2).close()" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# start_server NAME: starts it on a free port (PORT), or says why not.
start_server() {
    local s=$1 log="$TMPD/$1.log"
    PORT=$(free_port)
    case "$s" in
        wsdbg-q)
            "$WSDBG" serve -q --no-console --listen "127.0.0.1:$PORT" </dev/null >"$log" 2>&1 &
            ;;
        python-websockets)
            if ! python3 -c 'import websockets.asyncio.server' 2>/dev/null; then
                notice "skipping $s: python3 cannot import websockets (python3 -m pip install --user websockets==17.4)"
                return 1
            fi
            python3 tests/peers/echo_python.py "$PORT" </dev/null >"$log" 2>&1 &
            ;;
        node-ws)
            if ! command -v node >/dev/null; then
                notice "skipping $s: no node (apt-get install nodejs npm)"
                return 1
            fi
            if [ ! -d tests/browser/node_modules/ws ]; then
                notice "installing ws for node-ws: npm ci in tests/browser"
                if ! (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error); then
                    notice "skipping $s: npm ci failed"
                    return 1
                fi
            fi
            node tests/peers/echo_node.mjs "$PORT" </dev/null >"$log" 2>&1 &
            ;;
        *)
            notice "skipping $s: unknown server (wsdbg-q, python-websockets, node-ws)"
            return 1
            ;;
    esac
    SERVER_PID=$!
    if ! wait_listening "$PORT"; then
        notice "skipping $s: it did not start listening; its log:"
        tail -n 20 "$log" >&2 || true
        stop_server
        return 1
    fi
}

now() { date +%s.%N; }
seconds() { python3 -c "print(f'{$2 - $1:.2f}')"; }

# counts_autobahn DIR AGENT / counts_check FILE: "OK NON-STRICT FAILED
# INFORMATIONAL" counts, then the FAILED case ids (comma-separated, - if none).
counts_autobahn() {
    python3 - "$1/report/index.json" "$2" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))[sys.argv[2]]
key = lambda c: [int(p) for p in c.split(".")]
n = lambda v: sum(1 for x in r.values() if x["behavior"] == v)
failed = sorted((c for c, x in r.items() if x["behavior"] == "FAILED"), key=key)
print(n("OK"), n("NON-STRICT"), n("FAILED"), n("INFORMATIONAL"), ",".join(failed) or "-", sep="\t")
EOF
}
counts_check() {
    python3 - "$1" <<'EOF'
import json, sys
cases = {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["type"] == "case":
        cases[e["data"]["id"]] = e["data"]["verdict"]
key = lambda c: [int(p) for p in c.split(".")]
n = lambda v: sum(1 for x in cases.values() if x == v)
failed = sorted((c for c, x in cases.items() if x == "FAILED"), key=key)
print(n("OK"), n("NON-STRICT"), n("FAILED"), n("INFORMATIONAL"), ",".join(failed) or "-", sep="\t")
EOF
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== cases $CASES; wstest $WSTEST_RUNS run(s), check $CHECK_RUNS run(s) at each -j in $JOBS, per server"
printf 'server\ttool\trun\tseconds\tok\tnon_strict\tfailed\tinformational\tfailed_ids\n' >"$RESULTS"

IFS=, read -r -a servers <<<"$SERVERS"
IFS=, read -r -a jobs <<<"$JOBS"
rounds=$CHECK_RUNS
[ "$WSTEST_RUNS" -gt "$rounds" ] && rounds=$WSTEST_RUNS
measured=()
for s in "${servers[@]}"; do
    start_server "$s" || continue
    url="ws://127.0.0.1:$PORT/"
    echo "== $s on $url"
    for round in $(seq "$rounds"); do
        if [ "$round" -le "$WSTEST_RUNS" ]; then
            dir="$TMPD/$s-autobahn"
            t0=$(now)
            code=0
            WSTEST="$WSTEST_BIN" python3 tests/autobahn/run.py "$url" --agent "$s" --cases "$CASES" \
                --outdir "$dir" >"$dir.out" 2>&1 || code=$?
            t1=$(now)
            if [ "$code" -gt 1 ]; then
                echo "check.sh: run.py failed (exit $code) against $s:" >&2
                cat "$dir.out" >&2
                exit 1
            fi
            secs=$(seconds "$t0" "$t1")
            row=$(counts_autobahn "$dir" "$s")
            printf '%s\twstest\t%s\t%s\t%s\n' "$s" "$round" "$secs" "$row" >>"$RESULTS"
            printf '%-18s round %s  wstest       %7s s  (OK, NON-STRICT, FAILED, INFORMATIONAL: %s)\n' \
                "$s" "$round" "$secs" "$(cut -f1-4 <<<"$row" | tr '\t' ' ')"
        fi
        if [ "$round" -le "$CHECK_RUNS" ]; then
            for j in "${jobs[@]}"; do
                file="$TMPD/$s-check.jsonl"
                t0=$(now)
                code=0
                "$WSDBG" check --json -j "$j" --cases "$CASES" "$url" >"$file" 2>"$TMPD/check.err" || code=$?
                t1=$(now)
                if [ "$code" -gt 1 ]; then
                    echo "check.sh: wsdbg check failed (exit $code) against $s:" >&2
                    cat "$TMPD/check.err" >&2
                    exit 1
                fi
                secs=$(seconds "$t0" "$t1")
                row=$(counts_check "$file")
                printf '%s\tcheck -j %s\t%s\t%s\t%s\n' "$s" "$j" "$round" "$secs" "$row" >>"$RESULTS"
                printf '%-18s round %s  check -j %-3s %7s s  (OK, NON-STRICT, FAILED, INFORMATIONAL: %s)\n' \
                    "$s" "$round" "$j" "$secs" "$(cut -f1-4 <<<"$row" | tr '\t' ' ')"
            done
        fi
    done
    stop_server
    measured+=("$s")
done
[ ${#measured[@]} -gt 0 ] || { echo "check.sh: no server measured" >&2; exit 1; }

echo "== results kept in ${RESULTS#"$ROOT"/}"
echo
python3 - "$RESULTS" "$JOBS" "$CASES" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
jobs = sys.argv[2].split(",")
cases = "1-10" if sys.argv[3] == "1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*" else sys.argv[3]
names = {"wsdbg-q": "wsdbg serve -q", "python-websockets": "Python websockets", "node-ws": "Node ws"}
servers = list(dict.fromkeys(r["server"] for r in rows))
tools = ["wstest"] + [f"check -j {j}" for j in jobs]

def runs(s, tool):
    return [r for r in rows if r["server"] == s and r["tool"] == tool]

def med(s, tool):
    got = [float(r["seconds"]) for r in runs(s, tool)]
    return statistics.median(got) if got else None

def cell(x):
    return "–" if x is None else f"{x:.2f}" if x < 10 else f"{x:.1f}"

head = [f"server (cases {cases})"] + [f"{t} (s)" for t in tools]
head += [f"check -j {j} / wstest" for j in jobs] + ["FAILED: wstest / check"]
print("| " + " | ".join(head) + " |")
print("|---|" + "---:|" * (len(tools) + len(jobs)) + "---|")
for s in servers:
    w = med(s, "wstest")
    line = [names.get(s, s)] + [cell(med(s, t)) for t in tools]
    for j in jobs:
        c = med(s, f"check -j {j}")
        line.append(f"**{c / w:.2f}**" if c and w else "–")
    # The FAILED cases of every run, of each tool.
    a = {r["failed_ids"] for r in runs(s, "wstest")}
    c = {r["failed_ids"] for t in tools[1:] for r in runs(s, t)}
    count = lambda ids: "0" if ids == "-" else str(len(ids.split(",")))
    same = "the same cases" if a == c and len(a) == 1 else "DIFFERENT: " + "; ".join(sorted(a | c))
    line.append(f"{'/'.join(count(x) for x in sorted(a))} / {'/'.join(count(x) for x in sorted(c))}, {same}")
    print("| " + " | ".join(line) + " |")
print()
print("Medians of wall seconds; the spread (min–max, runs):")
for s in servers:
    parts = []
    for t in tools:
        got = sorted(float(r["seconds"]) for r in runs(s, t))
        if got:
            parts.append(f"{t} {got[0]:.1f}–{got[-1]:.1f} ({len(got)})")
    print(f"  {names.get(s, s)}: " + ", ".join(parts))
EOF
