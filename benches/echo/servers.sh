# shellcheck shell=bash disable=SC2034  # PORT, LOG: used by the scripts that source this
# Sourced by benches/echo.sh and benches/idle.sh (run from the repository
# root): builds the tools, installs missing peers, and starts and stops the
# servers, each on a free 127.0.0.1 port. One entry per server in
# prepare_servers and start_server; an entry that cannot be had is skipped
# with a notice.

WEBSOCAT_VERSION=1.14.1
WSLOAD="$ROOT/benches/echo/target/release/wsload"
BARE="$ROOT/benches/echo/target/release/bare-echo"
WEBSOCAT="$ROOT/target/peers/bin/websocat"
# WSDBG=/path/to/wsdbg measures that binary instead, without building.
# WSDBG_PROFILE=profiling builds and measures the `profiling` profile (the
# release build with debug info and symbols, for perf or callgrind) instead
# of `release` (stripped, what users install).
WSDBG_GIVEN=${WSDBG:+yes}
WSDBG_PROFILE="${WSDBG_PROFILE:-release}"
WSDBG="${WSDBG:-$ROOT/target/$WSDBG_PROFILE/wsdbg}"
# WSDBG_BEFORE=/path/to/an/older/wsdbg adds the server wsdbg-before-q: that
# binary's `serve -q`, to measure a change before and after in one run.
WSDBG_BEFORE="${WSDBG_BEFORE:-}"
NODE_DIR="$ROOT/benches/echo/node"

declare -A PID=() PORT=() LOG=()
READY=()   # servers that can be started
RUNNING=() # servers started and listening
TRACE_FILE=
WSDBG_BUILT=

notice() { echo "== $*" >&2; }

build_tools() {
    echo "== cargo build --release (benches/echo: wsload, bare-echo)"
    cargo build --release --quiet --manifest-path "$ROOT/benches/echo/Cargo.toml"
}

# prepare_servers NAME...: installs or builds what each needs; fills READY.
prepare_servers() {
    local s
    for s in "$@"; do
        case "$s" in
            websocat | websocat-default)
                if [ ! -x "$WEBSOCAT" ]; then
                    notice "websocat is missing: cargo install websocat@$WEBSOCAT_VERSION --locked --root target/peers (several minutes at CARGO_BUILD_JOBS=$CARGO_BUILD_JOBS, once)"
                    if ! cargo install "websocat@$WEBSOCAT_VERSION" --locked --root "$ROOT/target/peers" --quiet; then
                        notice "skipping websocat: it did not install"
                        continue
                    fi
                fi
                echo "== $s: $("$WEBSOCAT" --version)"
                ;;
            node-ws)
                if ! command -v node >/dev/null; then
                    notice "skipping node-ws: no node (apt-get install nodejs npm)"
                    continue
                fi
                if [ ! -d "$NODE_DIR/node_modules/ws" ]; then
                    notice "installing ws for node-ws: npm ci in benches/echo/node"
                    if ! (cd "$NODE_DIR" && npm ci --ignore-scripts --no-audit --no-fund --silent); then
                        notice "skipping node-ws: npm ci failed"
                        continue
                    fi
                fi
                echo "== node-ws: node $(node --version), ws $(node -p "require('$NODE_DIR/node_modules/ws/package.json').version")"
                ;;
            bare-echo) ;;
            wsdbg-q | wsdbg-trace | wsdbg-trace-raw | wsdbg-record-q)
                if [ -z "$WSDBG_BUILT" ] && [ -n "$WSDBG_GIVEN" ]; then
                    echo "== wsdbg: $WSDBG (WSDBG), not built here"
                    WSDBG_BUILT=yes
                fi
                if [ -z "$WSDBG_BUILT" ]; then
                    echo "== cargo build --profile $WSDBG_PROFILE (wsdbg)"
                    if cargo build --profile "$WSDBG_PROFILE" --quiet --manifest-path "$ROOT/Cargo.toml"; then
                        WSDBG_BUILT=yes
                    else
                        WSDBG_BUILT=no
                    fi
                fi
                if [ "$WSDBG_BUILT" != yes ]; then
                    notice "skipping $s: wsdbg did not build"
                    continue
                fi
                if ! "$WSDBG" serve --help >/dev/null 2>&1; then
                    notice "skipping $s: 'wsdbg serve --help' fails (no serve subcommand yet?)"
                    continue
                fi
                ;;
            wsdbg-before-q)
                if [ -z "$WSDBG_BEFORE" ] || ! "$WSDBG_BEFORE" serve --help >/dev/null 2>&1; then
                    notice "skipping $s: WSDBG_BEFORE names no wsdbg with a serve subcommand"
                    continue
                fi
                echo "== wsdbg-before-q: $WSDBG_BEFORE (WSDBG_BEFORE)"
                ;;
            *)
                notice "skipping $s: unknown server (websocat, websocat-default, node-ws, bare-echo, wsdbg-q, wsdbg-trace, wsdbg-trace-raw, wsdbg-record-q, wsdbg-before-q)"
                continue
                ;;
        esac
        READY+=("$s")
    done
}

# start_server NAME DIR [COMMAND PREFIX...]: starts NAME on a free port with
# its log (and wsdbg's trace) in DIR, the prefix (taskset) before the
# command, and waits until it listens. Its standard input is a FIFO that
# stays open and silent, as an idle terminal would be.
start_server() {
    local s=$1 dir=$2 port pid log
    shift 2
    port=$("$WSLOAD" --free-port)
    log="$dir/$s.log"
    if [ ! -p "$dir/stdin" ]; then
        mkfifo "$dir/stdin"
        exec 9<>"$dir/stdin"
    fi
    case "$s" in
        websocat) "$@" "$WEBSOCAT" -B 4194304 -b "ws-l:127.0.0.1:$port" mirror: <"$dir/stdin" >"$log" 2>&1 & ;;
        # Its default 64 KiB buffer: splits messages over 64 KiB, so only for
        # small messages and for idle.sh.
        websocat-default) "$@" "$WEBSOCAT" -b "ws-l:127.0.0.1:$port" mirror: <"$dir/stdin" >"$log" 2>&1 & ;;
        node-ws) "$@" node "$NODE_DIR/server.js" "$port" <"$dir/stdin" >"$log" 2>&1 & ;;
        bare-echo) "$@" "$BARE" "127.0.0.1:$port" <"$dir/stdin" >"$log" 2>&1 & ;;
        wsdbg-q) "$@" "$WSDBG" serve -q --listen "127.0.0.1:$port" <"$dir/stdin" >"$log" 2>&1 & ;;
        # Recording every connection into a file beside the logs (a fresh
        # file per start: each point starts the servers anew).
        wsdbg-record-q) "$@" "$WSDBG" serve -q --record "$dir/wsdbg-record.pcapng" --listen "127.0.0.1:$port" <"$dir/stdin" >"$log" 2>&1 & ;;
        wsdbg-before-q) "$@" "$WSDBG_BEFORE" serve -q --listen "127.0.0.1:$port" <"$dir/stdin" >"$log" 2>&1 & ;;
        wsdbg-trace)
            TRACE_FILE="$dir/wsdbg-trace.out"
            "$@" "$WSDBG" serve --trace --listen "127.0.0.1:$port" <"$dir/stdin" >"$TRACE_FILE" 2>"$log" &
            ;;
        # The trace without payload views: beside wsdbg-trace, what reading
        # the payloads (--payload auto, the default) costs.
        wsdbg-trace-raw)
            "$@" "$WSDBG" serve --trace --payload raw --listen "127.0.0.1:$port" <"$dir/stdin" >"$dir/wsdbg-trace-raw.out" 2>"$log" &
            ;;
    esac
    pid=$!
    PID[$s]=$pid
    if ! "$WSLOAD" "127.0.0.1:$port" --wait 20 --server-pid "$pid"; then
        notice "skipping $s: it did not start listening; its log:"
        tail -n 20 "$log" >&2 || true
        stop_server "$s"
        return 1
    fi
    PORT[$s]=$port
    LOG[$s]=$log
    RUNNING+=("$s")
}

# stop_server NAME: TERM, then KILL after 3 s; only the process we started.
stop_server() {
    local pid=${PID[$1]:-}
    [ -n "$pid" ] || return 0
    unset "PID[$1]"
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 30); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

stop_servers() {
    local s
    for s in "${!PID[@]}"; do
        stop_server "$s"
    done
}
