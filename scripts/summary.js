// Prints the plain `N passed, N failed` line CI reads, from jest's JSON summary.
const fs = require('node:fs');
const file = process.argv[2];
let r;
try {
  r = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch (err) {
  console.log('0 passed, 1 failed');
  console.error(`no jest summary at ${file}: ${err.message}`);
  process.exit(1);
}
const failedSuites = r.numRuntimeErrorTestSuites || 0;
console.log(`${r.numPassedTests} passed, ${r.numFailedTests + failedSuites} failed`);
process.exit(r.numFailedTests + failedSuites > 0 || r.numTotalTests === 0 ? 1 : 0);
