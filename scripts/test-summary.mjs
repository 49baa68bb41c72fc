// Prints vitest's JSON result as the closing line CI reads: "N passed, N failed[, N skipped]".
// Exits non-zero when no test ran.
import fs from 'node:fs';

const file = process.argv[2];
if (!fs.existsSync(file)) {
  console.log('0 passed, 0 failed');
  console.error('no test results: the test run did not complete');
  process.exit(1);
}
const r = JSON.parse(fs.readFileSync(file, 'utf8'));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(r.numTotalTests > 0 && r.numPassedTests > 0 ? 0 : 1);
