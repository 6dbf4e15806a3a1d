#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what is missing, starts the isolated engine and
# registries (scripts/test-env.sh), runs unit, API and integration tests, checks that every operation of
# openapi.yaml was exercised, stops what it started. Extra arguments go to jest.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

[ -d node_modules/.bin ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
export TEST_ENV_DIR=${TEST_ENV_DIR:-$ROOT/.test-env}
bash scripts/test-env.sh up || { echo "test environment failed to start" >&2; exit 1; }
[ -n "${KEEP_TEST_ENV:-}" ] || trap 'bash scripts/test-env.sh down' EXIT

mkdir -p test-results
rm -f test-results/operations.txt
if [ $# -eq 0 ]; then
  # The shipped image's build (a cold `npm ci` in a container, hundreds of MB of layers) makes every /system/df of
  # the shared test engine crawl: it runs on its own after everything else, and the two summaries are merged.
  npx jest --json --outputFile=test-results/jest.json --testPathIgnorePatterns '/test/integration/image-build\.test\.ts$'
  rc=$?
  npx jest --json --outputFile=test-results/jest-image-build.json test/integration/image-build.test.ts || rc=1
  node scripts/merge-jest.js test-results/jest.json test-results/jest-image-build.json || rc=1
  # Only a full run can say whether every operation in the contract was exercised.
  node scripts/contract-coverage.js || rc=1
else
  npx jest --json --outputFile=test-results/jest.json "$@"
  rc=$?
fi
node scripts/summary.js test-results/jest.json || rc=1
exit $rc
