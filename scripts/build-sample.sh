#!/usr/bin/env bash
# One command: set up, validate and build the four sample sites into site/tier0 .. site/tier3.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/kbgen validate
.venv/bin/kbgen build
echo "Open site/tier0/index.html (public) or site/tier1..3/index.html (internal)."
