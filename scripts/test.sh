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

if [ -f client/package-lock.json ]; then
  (cd client && npm ci --no-audit --no-fund --loglevel=error)
fi

if ! command -v nvim >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq neovim) >/dev/null
  else
    (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq neovim) >/dev/null
  fi
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
