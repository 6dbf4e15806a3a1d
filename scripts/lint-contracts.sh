#!/usr/bin/env bash
# The contracts checked by tools no one here wrote: the WebSocket contract by the AsyncAPI CLI, the REST contract
# by Redocly CLI (.redocly.yaml) and Spectral (.spectral.yaml, spectral:oas). Warnings fail too. Every tool runs
# even when one fails, so one run shows every problem. Offline: no telemetry, no update checks.
set -uo pipefail
cd "$(dirname "$0")/.."
export CI=true REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
rc=0
# Redocly exits non-zero on errors only: its JSON report is read so that a warning fails as well.
redocly_lint() {
  npx --no-install redocly lint "$1" --config .redocly.yaml --format json 2>/dev/null | node -e '
    let s = "";
    process.stdin.on("data", (c) => (s += c)).on("end", () => {
      const r = JSON.parse(s);
      for (const p of r.problems.filter((x) => x.severity !== "off" && !x.ignored)) {
        const at = p.location[0];
        console.log(`  ${at.start.line}:${at.start.col} ${p.severity} ${p.ruleId} ${p.message} ${at.pointer}`);
      }
      console.log(`  redocly: ${r.totals.errors} errors, ${r.totals.warnings} warnings, ${r.totals.ignored} ignored (.redocly.lint-ignore.yaml)`);
      process.exit(r.totals.errors + r.totals.warnings > 0 ? 1 : 0);
    });'
}
run() {
  echo "[lint:contracts] $*"
  "$@" || { echo "[lint:contracts] FAILED: $*" >&2; rc=1; }
}
run npx --no-install asyncapi validate asyncapi.yaml --fail-severity warn
# The REST contract as the service serves it: openapi.yaml with its engine-scoped paths generated.
FULL=$(node scripts/full-spec.js) || { echo "[lint:contracts] could not generate the full contract" >&2; exit 1; }
run redocly_lint "$FULL"
run npx --no-install spectral lint "$FULL" --ruleset .spectral.yaml --fail-severity warn
exit $rc
