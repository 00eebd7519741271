#!/usr/bin/env bash
# The whole test suite: installs what the tests need when it is missing,
# then checks formatting and lints and runs every test.
#
#   ./test.sh
set -euo pipefail
cd "$(dirname "$0")"

# What cannot be installed here (no root for apt-get, no network) is
# skipped with one line saying what to install; the tests that need it skip
# themselves. Under CI (CI set), where everything can be installed, a
# failed install fails the run.
skipped=()
skip() {
  if [[ -n "${CI:-}" ]]; then
    echo "test.sh: $1 could not be installed, and CI runs everything" >&2
    exit 1
  fi
  echo "test.sh: skipping the tests that need $1 ($2)"
  skipped+=("$1")
}

need_apt=()
if ! command -v tshark >/dev/null 2>&1 || ! command -v text2pcap >/dev/null 2>&1; then
  need_apt+=(tshark)
fi
command -v script >/dev/null 2>&1 || need_apt+=(bsdutils)
# openssl makes the CA and certificate of connect's wss:// test.
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# Debian's Chromium, for the test page in a real browser (tests/browser.rs).
[[ -x /usr/bin/chromium ]] || need_apt+=(chromium)
if ((${#need_apt[@]})); then
  apt=()
  if [[ $(id -u) -eq 0 ]]; then
    apt=(apt-get)
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    apt=(sudo -n apt-get)
  fi
  installed=false
  if ((${#apt[@]})) && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing ${need_apt[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    # tshark asks whether non-root users may capture; the tests need no capture.
    echo "wireshark-common wireshark-common/install-setuid boolean false" |
      "${apt[@]/apt-get/debconf-set-selections}" 2>/dev/null || true
    if "${apt[@]}" update -qq && "${apt[@]}" install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null; then
      installed=true
    fi
  fi
  if ! $installed; then
    for p in "${need_apt[@]}"; do
      skip "$p" "as root: apt-get install $p"
    done
  fi
fi
# The Autobahn testsuite's wstest (Python 2.7) for tests/autobahn.rs.
if [[ ! -x "${PYTHONUSERBASE:-$HOME/.local}/bin/wstest" ]]; then
  tests/autobahn/install.sh || skip "the Autobahn testsuite" "Python 2.7 with pip, then tests/autobahn/install.sh"
fi
# Python's websockets, a client written elsewhere, for tests/serve.rs (and
# an echo server for tests/check_peers.rs).
if ! python3 -c 'import websockets.sync.client' >/dev/null 2>&1; then
  echo "test.sh: installing websockets for $(python3 --version 2>&1) (pip --user)"
  PYTHONWARNINGS=ignore python3 -m pip install --user --quiet --no-warn-script-location \
    --disable-pip-version-check 'websockets==17.4' ||
    skip "Python websockets" "python3 -m pip install --user websockets==17.4"
fi

# playwright-core, which drives that Chromium, Node's ws (a client for the
# capture test, an echo server for check_peers) and https-proxy-agent (ws
# through the forward proxy), at the versions the lock file pins.
node_ok=true
for m in playwright-core ws https-proxy-agent; do
  [[ -d tests/browser/node_modules/$m ]] || node_ok=false
done
if ! $node_ok; then
  echo "test.sh: installing playwright-core, ws and https-proxy-agent (npm ci in tests/browser)"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) ||
    skip "playwright-core, ws and https-proxy-agent" "npm, then npm ci in tests/browser"
fi
# websocat, an echo server written elsewhere, for tests/check_peers.rs, at
# the version benches/echo/servers.sh installs (into the same place).
if [[ ! -x target/peers/bin/websocat ]]; then
  echo "test.sh: installing websocat 1.14.1 (cargo install into target/peers, several minutes, once)"
  cargo install websocat@1.14.1 --locked --root target/peers --quiet ||
    skip "websocat" "cargo install websocat@1.14.1 --locked --root target/peers"
fi

# The peers of the payload views (tests/payload_peers.rs): python-socketio,
# paho-mqtt and stomp.py from PyPI; graphql-ws, rpc-websockets,
# socket.io-client and @stomp/stompjs from npm; Debian's mosquitto.
tests/payload/install.sh ||
  skip "the payload peers" "tests/payload/install.sh (as root, for mosquitto)"

echo "test.sh: cargo fmt --check"
cargo fmt --check
echo "test.sh: cargo clippy --all-targets -- -D warnings"
cargo clippy --quiet --all-targets -- -D warnings
echo "test.sh: cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --quiet --no-deps
mkdir -p target
echo "test.sh: cargo test"
status=0
cargo test --no-fail-fast >target/test.log 2>&1 || status=$?
grep -E '^(test result|running|failures|---- |error)|panicked|FAILED' target/test.log || true
passed=$(awk '/^test result/ { for (i = 1; i < NF; i++) if ($(i+1) ~ /^passed/) n += $i } END { print n + 0 }' target/test.log)
failed=$(awk '/^test result/ { for (i = 1; i < NF; i++) if ($(i+1) ~ /^failed/) n += $i } END { print n + 0 }' target/test.log)
# The Autobahn testsuite's counts, server side, client side, deflate, then
# check beside Autobahn on other servers (cargo test hides what passing tests
# print).
for side in autobahn autobahn-client autobahn-deflate check-peers; do
  cat "target/tmp/$side/summary.txt" 2>/dev/null || true
done
# The crate as published, unpacked and built alone, in a target directory
# of its own: in target/ its build would take the place of the checkout's
# (cargo gives both the same names), build script output included.
echo "test.sh: cargo publish --dry-run (the crate as published, unpacked and built alone)"
package=0
# Online: the dry run checks the dependencies against the registry's index
# (offline, cargo refuses it outright).
cargo publish --dry-run --allow-dirty --quiet --target-dir target/package-check || package=$?
# Built from the package, as `cargo install wsdbg` would, the binary names
# the commit cargo package recorded (.cargo_vcs_info.json, read by build.rs).
if [[ $package -eq 0 ]] && head=$(git rev-parse --short=12 HEAD 2>/dev/null); then
  packaged=$(target/package-check/debug/wsdbg --version 2>&1) || true
  echo "test.sh: the packaged crate's binary says: $packaged"
  if [[ $packaged != *"(git $head)"* ]]; then
    echo "test.sh: the packaged crate's binary does not name HEAD ($head)"
    package=1
  fi
fi
echo "summary: ${passed} passed, ${failed} failed"
if ((${#skipped[@]})); then
  echo "test.sh: not tested here for want of: ${skipped[*]} (see the skipping lines above)"
fi
if [[ $package -ne 0 ]]; then
  echo "test.sh: the crate as published failed its check (above): cargo publish --dry-run, then its binary's --version"
  exit 1
fi
if [[ $status -ne 0 || $failed -ne 0 || $passed -eq 0 ]]; then
  echo "test.sh: cargo test failed (exit $status); full log in target/test.log"
  grep -A40 '^failures:' target/test.log | head -300 || true
  tail -n 30 target/test.log
  exit 1
fi
