#!/usr/bin/env bash
# Debian's mosquitto as an MQTT-over-WebSocket broker, in the foreground.
#
#   mqtt_broker.sh PORT      (0 or nothing: pick a free port)
#
# Prints the port as its first line, then runs mosquitto until SIGTERM
# (or until its stdin, when a pipe, closes). WebSocket listener on PORT,
# anonymous clients allowed, nothing persisted.
#
# Debian's mosquitto 2.0.11 (libwebsockets built in) has two known quirks
# (eclipse-mosquitto/mosquitto#2284, #3045): it will not start with only a
# websockets listener ("Unable to start any listening sockets"), so a plain
# MQTT listener on a Unix socket in a temporary directory goes with it; and
# the websockets listener ignores its bind address and listens on every
# interface (*:PORT), so connect to 127.0.0.1:PORT. As root it would drop to
# the user mosquitto, which cannot create that socket: "user" keeps the
# current user.
set -euo pipefail
port=${1:-0}
if [[ $port == 0 ]]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[[ -x $mosquitto ]] || { echo "mqtt_broker.sh: mosquitto is not installed (tests/payload/install.sh)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/mosquitto.conf" <<CONF
user $(id -un)
listener 0 $dir/mqtt.sock
protocol mqtt
listener $port 127.0.0.1
protocol websockets
allow_anonymous true
persistence false
log_dest stderr
log_type error
CONF
"$mosquitto" -c "$dir/mosquitto.conf" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
trap 'exit 0' TERM INT
# Wait until it listens, so the port line means "ready".
for _ in $(seq 100); do
  if python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' "$port" 2>/dev/null; then
    break
  fi
  kill -0 $pid 2>/dev/null || { wait $pid; exit 1; }
  sleep 0.05
done
echo "$port"
if [[ -p /dev/stdin || -S /dev/stdin ]]; then
  # Reads stdin to its end. (A background job's stdin would be /dev/null
  # without the explicit <&3; select first, as the pipe may be non-blocking.)
  exec 3<&0
  python3 -c '
import os, select
while True:
    select.select([0], [], [])
    try:
        if not os.read(0, 4096):
            break
    except BlockingIOError:
        pass
' <&3 &
  reader=$!
  wait -n $pid $reader || true
else
  wait $pid || true
fi
