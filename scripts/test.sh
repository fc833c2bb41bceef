#!/usr/bin/env bash
# Sets up everything ptlint's tests need on a fresh machine, then runs every test:
# Python deps (with the CPU torch wheel for the probe), node deps for the VS Code
# client, neovim for the real-client test. Safe to run again: each step is idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e ".[dev,probe]"

# System tools the tests drive: git (pre-commit and .gitignore tests), npm (the VS Code
# client and the official SARIF schema, which only an npm package ships), neovim.
missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
command -v nvim >/dev/null 2>&1 || missing+=(neovim)
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" = "0" ] || SUDO="sudo"
  ($SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null
fi

if [ -f client/package-lock.json ]; then
  (cd client && npm ci --no-audit --no-fund --loglevel=error)
fi

set +e
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: the suite is missing or was deselected" >&2
  exit 1
fi
exit "$rc"
