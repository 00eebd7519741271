#!/usr/bin/env bash
# Relay throughput: `wsdbg proxy` beside websocat as a relay, in one run on
# one machine, with the same load client and the same echo upstream: round
# trips per second through each relay at the load points of echo.sh, and
# their ratio.
#
# Usage: benches/relay.sh [--rounds N] [--duration SECS] [--warmup SECS]
#                         [--points LIST] [--tls] [--record]
#
#   --rounds N       each relay at each point N times (default 3), the order
#                    alternating from round to round; the median is reported
#   --duration SECS  counted seconds per measurement (default 5)
#   --warmup SECS    uncounted seconds before that (default 1)
#   --points LIST    comma-separated SIZExCONNS (default 64x1,64x16,64x64,1Mx2)
#   --record         also wsdbg-record, the wsdbg relay with --record FILE
#                    (a fresh file in the temporary directory per start):
#                    what recording both legs costs
#   --tls            TLS on both sides instead: the load client speaks wss://
#                    (wsload --tls, tungstenite over rustls) and the upstream
#                    is bare-echo --tls; the relays are
#                      websocat-tls  websocat -b -B 4194304 --pkcs12-der P12
#                                    wss-l:127.0.0.1:PORT wss://localhost:UP/
#                                    (SSL_CERT_FILE: the test CA)
#                      wsdbg-tls     wsdbg proxy -q --no-console --tls --cert
#                                    --key --cacert CA wss://localhost:UP/
#                      wsdbg-forward wsdbg proxy -q --no-console --forward
#                                    --cacert CA (the client CONNECTs to
#                                    localhost:UP and trusts wsdbg's CA)
#                    and, for scale, wsdbg-plain: proxy -q over plain ws://
#                    with the same tungstenite client (wsload --client
#                    tungstenite) to a plain bare-echo. Certificates: a test
#                    CA and a localhost leaf made by openssl in a temporary
#                    directory (also wsdbg's CA's home, XDG_DATA_HOME).
#
# The upstream is the bare echo of benches/echo (one blocking thread per
# connection, no checks), started once per point. The relays:
#   websocat  websocat -b -B 4194304 ws-l:127.0.0.1:PORT ws://127.0.0.1:UP/
#   wsdbg     target/release/wsdbg proxy -q --no-console --listen 127.0.0.1:PORT ws://127.0.0.1:UP/
#   wsdbg-before  the same with $WSDBG_BEFORE, when set: an older wsdbg, to
#             measure a change before and after in one run
# WSDBG=/path/to/wsdbg relays through that binary instead, without building;
# WSDBG_PROFILE=profiling builds and runs target/profiling/wsdbg (debug info
# and symbols, for perf) instead of target/release/wsdbg.
# The load client is benches/echo/src/wsload.rs, against the relay's port.
# Everything runs on CPU 0 (taskset), as echo.sh's `--pin same`: on this VM
# unpinned figures wander by up to 25% between two runs of the same thing.
set -euo pipefail

ROUNDS=3
DURATION=5
WARMUP=1
POINTS=64x1,64x16,64x64,1Mx2
TLS=
RECORD=
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --points) POINTS=$2; shift 2 ;;
        --tls) TLS=1; shift ;;
        --record) RECORD=1; shift ;;
        -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "relay.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}
. benches/echo/servers.sh
build_tools
prepare_servers websocat bare-echo
if [ -n "$WSDBG_GIVEN" ]; then
    echo "== wsdbg: $WSDBG (WSDBG), not built here"
else
    echo "== cargo build --profile $WSDBG_PROFILE (wsdbg)"
    cargo build --profile "$WSDBG_PROFILE" --quiet
fi
PIN=(taskset -c 0)

TMPD=$(mktemp -d)
UP_PID=
RELAY_PID=
cleanup() {
    for p in $RELAY_PID $UP_PID; do
        kill -TERM "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "$TLS" ]; then
    # A test CA and a leaf for localhost it signed; the leaf as PKCS#12 for
    # websocat.
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=relay bench CA" \
        -keyout "$TMPD/ca-key.pem" -out "$TMPD/ca.pem" >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj /CN=localhost \
        -keyout "$TMPD/key.pem" -out "$TMPD/leaf.csr" >/dev/null 2>&1
    printf 'basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$TMPD/leaf.ext"
    openssl x509 -req -in "$TMPD/leaf.csr" -CA "$TMPD/ca.pem" -CAkey "$TMPD/ca-key.pem" \
        -CAcreateserial -days 2 -extfile "$TMPD/leaf.ext" -out "$TMPD/cert.pem" >/dev/null 2>&1
    openssl pkcs12 -export -inkey "$TMPD/key.pem" -in "$TMPD/cert.pem" -passout pass: \
        -out "$TMPD/relay.p12" >/dev/null 2>&1
    export XDG_DATA_HOME=$TMPD/data
    "$WSDBG" ca --path >/dev/null
fi

start_relay() { # NAME UPSTREAM_PORT: sets RELAY_PID and RELAY_PORT
    local port
    port=$("$WSLOAD" --free-port)
    case "$1" in
        websocat-tls) SSL_CERT_FILE="$TMPD/ca.pem" "${PIN[@]}" "$WEBSOCAT" -b -B 4194304 \
            --pkcs12-der "$TMPD/relay.p12" "wss-l:127.0.0.1:$port" "wss://localhost:$2/" \
            >"$TMPD/$1.log" 2>&1 </dev/null & ;;
        wsdbg-tls) "${PIN[@]}" "$WSDBG" proxy -q --no-console --tls --cert "$TMPD/cert.pem" \
            --key "$TMPD/key.pem" --cacert "$TMPD/ca.pem" --listen "127.0.0.1:$port" \
            "wss://localhost:$2/" >"$TMPD/$1.log" 2>&1 </dev/null & ;;
        wsdbg-forward) "${PIN[@]}" "$WSDBG" proxy -q --no-console --forward --cacert "$TMPD/ca.pem" \
            --listen "127.0.0.1:$port" >"$TMPD/$1.log" 2>&1 </dev/null & ;;
        wsdbg-plain) "${PIN[@]}" "$WSDBG" proxy -q --no-console --listen "127.0.0.1:$port" \
            "ws://127.0.0.1:$2/" >"$TMPD/$1.log" 2>&1 </dev/null & ;;
        websocat) "${PIN[@]}" "$WEBSOCAT" -b -B 4194304 "ws-l:127.0.0.1:$port" "ws://127.0.0.1:$2/" \
            >"$TMPD/$1.log" 2>&1 </dev/null & ;;
        wsdbg) "${PIN[@]}" "$WSDBG" proxy -q --no-console --listen "127.0.0.1:$port" "ws://127.0.0.1:$2/" \
            >"$TMPD/$1.log" 2>&1 </dev/null & ;;
        wsdbg-record) rm -f "$TMPD/relay.pcapng"
            "${PIN[@]}" "$WSDBG" proxy -q --no-console --record "$TMPD/relay.pcapng" \
            --listen "127.0.0.1:$port" "ws://127.0.0.1:$2/" >"$TMPD/$1.log" 2>&1 </dev/null & ;;
        wsdbg-before) "${PIN[@]}" "$WSDBG_BEFORE" proxy -q --no-console --listen "127.0.0.1:$port" "ws://127.0.0.1:$2/" \
            >"$TMPD/$1.log" 2>&1 </dev/null & ;;
    esac
    RELAY_PID=$!
    "$WSLOAD" "127.0.0.1:$port" --wait 20 --server-pid "$RELAY_PID" >/dev/null
    RELAY_PORT=$port
}

stop_pid() {
    kill -TERM "$1" 2>/dev/null || return 0
    for _ in $(seq 30); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

RESULTS="$TMPD/results.tsv"
IFS=, read -r -a points <<<"$POINTS"
for point in "${points[@]}"; do
    size=${point%x*}
    conns=${point#*x}
    up=$("$WSLOAD" --free-port)
    "${PIN[@]}" "$BARE" "127.0.0.1:$up" </dev/null >"$TMPD/upstream.log" 2>&1 &
    UP_PID=$!
    "$WSLOAD" "127.0.0.1:$up" --wait 20 --server-pid "$UP_PID" >/dev/null
    if [ -n "$TLS" ]; then
        tls_up=$("$WSLOAD" --free-port)
        "${PIN[@]}" "$BARE" "127.0.0.1:$tls_up" --tls "$TMPD/cert.pem" "$TMPD/key.pem" \
            </dev/null >"$TMPD/upstream-tls.log" 2>&1 &
        UP_PID="$UP_PID $!"
        "$WSLOAD" "127.0.0.1:$tls_up" --wait 20 >/dev/null
    fi
    for round in $(seq "$ROUNDS"); do
        order=(websocat wsdbg)
        [ $((round % 2)) -eq 0 ] && order=(wsdbg websocat)
        all=(websocat wsdbg)
        [ -n "${WSDBG_BEFORE:-}" ] && all+=(wsdbg-before)
        [ -n "$RECORD" ] && all+=(wsdbg-record)
        if [ ${#all[@]} -gt 2 ]; then
            k=$((round % ${#all[@]}))
            order=("${all[@]:$k}" "${all[@]:0:$k}")
        fi
        if [ -n "$TLS" ]; then
            all=(websocat-tls wsdbg-tls wsdbg-forward wsdbg-plain)
            order=("${all[@]:$((round % 4))}" "${all[@]:0:$((round % 4))}")
        fi
        for relay in "${order[@]}"; do
            load=()
            case "$relay" in
                websocat-tls | wsdbg-tls)
                    start_relay "$relay" "$tls_up"
                    load=("127.0.0.1:$RELAY_PORT" --tls "$TMPD/ca.pem" --host localhost) ;;
                wsdbg-forward)
                    start_relay "$relay" "$tls_up"
                    load=("127.0.0.1:$tls_up" --proxy "127.0.0.1:$RELAY_PORT"
                        --tls "$XDG_DATA_HOME/wsdbg/ca.pem" --host localhost) ;;
                wsdbg-plain)
                    start_relay "$relay" "$up"
                    load=("127.0.0.1:$RELAY_PORT" --client tungstenite) ;;
                *)
                    start_relay "$relay" "$up"
                    load=("127.0.0.1:$RELAY_PORT") ;;
            esac
            line=$("${PIN[@]}" "$WSLOAD" "${load[@]}" --conns "$conns" --size "$size" \
                --warmup "$WARMUP" --duration "$DURATION" --server-pid "$RELAY_PID")
            rt=$(sed -n 's/.*rt_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
            printf '%s\t%s\t%s\t%s\n' "$relay" "$point" "$round" "$rt" >>"$RESULTS"
            echo "$relay $point round $round: $line"
            stop_pid "$RELAY_PID"
            RELAY_PID=
        done
    done
    for p in $UP_PID; do
        stop_pid "$p"
    done
    UP_PID=
done

python3 - "$RESULTS" "$POINTS" <<'EOF'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l]
points = sys.argv[2].split(",")
med = {}
for relay, point, _, rt in rows:
    med.setdefault((relay, point), []).append(float(rt))
print()
print("| round trips/s (median) | " + " | ".join(p.replace("x", " B × ").replace("1M B", "1 MiB") for p in points) + " |")
print("|---|" + "---:|" * len(points))
for relay, name in (("websocat", "websocat -b -B 4194304 (relay)"), ("wsdbg", "wsdbg proxy -q"), ("wsdbg-before", "wsdbg proxy -q (before)"),
                    ("wsdbg-record", "wsdbg proxy -q --record"),
                    ("websocat-tls", "websocat, TLS both sides"), ("wsdbg-tls", "wsdbg proxy --tls, TLS both sides"),
                    ("wsdbg-forward", "wsdbg proxy --forward, TLS both sides"), ("wsdbg-plain", "wsdbg proxy, plain (same client)")):
    if not any(r == relay for r, _ in med):
        continue
    cells = [f"{statistics.median(med[(relay, p)]):,.0f}" if (relay, p) in med else "–" for p in points]
    print(f"| {name} | " + " | ".join(cells) + " |")
def ratio_row(name, a, b):
    if not any(r == a for r, _ in med):
        return
    ratios = []
    for p in points:
        if (b, p) in med and (a, p) in med:
            ratios.append(f"{statistics.median(med[(a, p)]) / statistics.median(med[(b, p)]):.2f}")
        else:
            ratios.append("–")
    print(f"| **{name}** | " + " | ".join(f"**{r}**" for r in ratios) + " |")
ratio_row("wsdbg proxy / websocat", "wsdbg", "websocat")
ratio_row("wsdbg proxy --record / wsdbg proxy", "wsdbg-record", "wsdbg")
ratio_row("wsdbg proxy --tls / websocat TLS", "wsdbg-tls", "websocat-tls")
ratio_row("wsdbg proxy --forward / websocat TLS", "wsdbg-forward", "websocat-tls")
EOF
