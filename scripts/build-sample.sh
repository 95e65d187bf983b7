#!/usr/bin/env bash
# One command: set up, validate and build the four sample sites into site/tier0 .. site/tier3.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/kbgen validate
.venv/bin/kbgen build
echo "Serve a site with: python3 -m http.server -d site/tier0 8000  (tier1..tier3 are the internal sites)"
