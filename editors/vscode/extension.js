// kbgen in VS Code: starts `kbgen lsp` (over stdio) for the Markdown of the opened folder.
"use strict";

const fs = require("fs");
const path = require("path");
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

// The configured program, else the workspace's virtual environment (scripts/setup.sh makes it), else PATH.
function kbgenCommand(folder) {
  const configured = vscode.workspace.getConfiguration("kbgen").get("command");
  if (configured) {
    return configured;
  }
  if (folder) {
    const local = process.platform === "win32"
      ? path.join(folder.uri.fsPath, ".venv", "Scripts", "kbgen.exe")
      : path.join(folder.uri.fsPath, ".venv", "bin", "kbgen");
    if (fs.existsSync(local)) {
      return local;
    }
  }
  return "kbgen";
}

async function activate() {
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  const server = { command: kbgenCommand(folder), args: ["lsp"], transport: TransportKind.stdio };
  client = new LanguageClient("kbgen", "kbgen", server, {
    documentSelector: [{ scheme: "file", language: "markdown" }],
  });
  await client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
