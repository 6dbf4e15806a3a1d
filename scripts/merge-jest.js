// Adds the counts and results of jest's second JSON summary (argv[3]) into the first (argv[2]), in place, so that
// scripts/summary.js reads one summary of a run made in two parts.
const fs = require('node:fs');
const [into, from] = process.argv.slice(2);
const a = JSON.parse(fs.readFileSync(into, 'utf8'));
const b = JSON.parse(fs.readFileSync(from, 'utf8'));
for (const k of Object.keys(a)) {
  if (k.startsWith('num') && typeof a[k] === 'number' && typeof b[k] === 'number') a[k] += b[k];
}
a.success = Boolean(a.success && b.success);
a.testResults = [...a.testResults, ...b.testResults];
fs.writeFileSync(into, JSON.stringify(a));
