#!/usr/bin/env bash
# Installs what the payload peers in tests/payload need, when missing:
# Python packages (pip --user, pinned), the npm packages of package-lock.json
# (npm ci) and Debian's mosquitto (apt-get, as root or with sudo -n; its
# service is not started). Quiet; idempotent; exits non-zero on failure.
#
#   tests/payload/install.sh
set -euo pipefail
cd "$(dirname "$0")"

# The Python peers: python-socketio (server on aiohttp, client on
# websocket-client), paho-mqtt, stomp.py (whose WebSocket transport is
# websocket-client) and websockets (stomp_server.py; the version test.sh pins).
pip_pins=(
  python-socketio==5.18.1
  python-engineio==4.15.1
  aiohttp==3.14.5
  websocket-client==1.9.2
  paho-mqtt==2.2.0
  stomp.py==9.0.0
  websockets==17.4
)
if ! python3 - "${pip_pins[@]}" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import version
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    if version(name) != want:
        sys.exit(1)
PY
  echo "install.sh: installing ${pip_pins[*]} for $(python3 --version 2>&1) (pip --user)"
  PYTHONWARNINGS=ignore PIP_ROOT_USER_ACTION=ignore python3 -m pip install --user --quiet \
    --no-warn-script-location --disable-pip-version-check "${pip_pins[@]}"
fi

# The Node peers: graphql, graphql-ws, ws, rpc-websockets, socket.io-client
# and @stomp/stompjs, at the versions package-lock.json pins.
node_ok=true
for m in graphql graphql-ws ws rpc-websockets socket.io-client @stomp/stompjs; do
  [[ -f node_modules/$m/package.json ]] || node_ok=false
done
if ! $node_ok; then
  echo "install.sh: installing the npm packages of tests/payload (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

# Debian's mosquitto, the MQTT broker (mqtt_broker.sh runs its own).
if ! command -v mosquitto >/dev/null 2>&1 && [[ ! -x /usr/sbin/mosquitto ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    apt=(apt-get)
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    apt=(sudo -n apt-get)
  else
    echo "install.sh: mosquitto is missing; as root: apt-get install mosquitto" >&2
    exit 1
  fi
  echo "install.sh: installing mosquitto (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  # Keep the package's service from starting: tests run their own broker.
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${apt[@]/apt-get/tee}" "$policy" >/dev/null
    "${apt[@]/apt-get/chmod}" +x "$policy"
    trap '"${apt[@]/apt-get/rm}" -f "$policy"' EXIT
  fi
  "${apt[@]}" install -y -qq --no-install-recommends mosquitto >/dev/null 2>&1 ||
    { "${apt[@]}" update -qq >/dev/null && "${apt[@]}" install -y -qq --no-install-recommends mosquitto >/dev/null; }
fi
