#!/usr/bin/env bash
# Installs the Autobahn testsuite's wstest, which tests/autobahn/run.py runs,
# with the pins of requirements.txt into Python 2.7's user site:
# ${PYTHONUSERBASE:-~/.local}/bin/wstest. Says nothing and does nothing when
# that wstest already runs and is the pinned version.
#
#   tests/autobahn/install.sh
#
# Needs Python 2.7 with pip (pyenv's 2.7.18, or python2.7 on PATH), gcc for
# wsaccel, and PyPI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
base="${PYTHONUSERBASE:-$HOME/.local}"
wstest="$base/bin/wstest"
want=$(sed -n 's/^autobahntestsuite==//p' "$here/requirements.txt")

# wstest -a prints "Autobahn 0.10.9" and "AutobahnTestSuite 25.10.1".
installed() {
  local out
  [[ -x "$wstest" ]] && out=$("$wstest" -a 2>/dev/null) && grep -qx "AutobahnTestSuite $want" <<<"$out"
}
if installed; then
  exit 0
fi

pyenv_root="$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")"
if [[ -x "$pyenv_root/versions/2.7.18/bin/python" ]]; then
  python="$pyenv_root/versions/2.7.18/bin/python"
elif command -v python2.7 >/dev/null 2>&1; then
  python="$(command -v python2.7)"
else
  echo "install.sh: the Autobahn testsuite needs Python 2.7 (pyenv 2.7.18 or python2.7), found none" >&2
  exit 1
fi

echo "install.sh: installing autobahntestsuite $want for $("$python" --version 2>&1) into $base (pip --user)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! PIP_CONSTRAINT="$here/build-constraints.txt" PYTHONWARNINGS=ignore \
  "$python" -m pip install --user --no-warn-script-location --disable-pip-version-check \
  -r "$here/requirements.txt" >"$log" 2>&1; then
  cat "$log" >&2
  echo "install.sh: pip install failed" >&2
  exit 1
fi
if ! installed; then
  cat "$log" >&2
  echo "install.sh: $wstest does not run after the install" >&2
  "$wstest" -a >&2 || true
  exit 1
fi
echo "install.sh: $("$wstest" -a | tr '\n' ' ')at $wstest"
