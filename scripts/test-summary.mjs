// Prints vitest's JSON results (one file per run) as the closing line CI reads:
// "N passed, N failed[, N skipped]". Exits non-zero when a run is missing or no test ran.
import fs from 'node:fs';

const files = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
let total = 0;
let missing = false;
for (const file of files) {
  if (!fs.existsSync(file)) {
    console.error(`no test results in ${file}: that test run did not complete`);
    missing = true;
    continue;
  }
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  total += r.numTotalTests;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(!missing && total > 0 && passed > 0 ? 0 : 1);
