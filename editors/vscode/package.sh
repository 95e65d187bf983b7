#!/usr/bin/env bash
# Package the VS Code extension as editors/vscode/kbgen.vsix (not published): install it with
# `code --install-extension editors/vscode/kbgen.vsix`. Needs Node.js and the npm registry.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --silent --no-audit --no-fund
npm run --silent package
echo "$(pwd)/kbgen.vsix"
