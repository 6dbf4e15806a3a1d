#!/usr/bin/env bash
# `npm run bench`: the benchmarks of bench/ (see BENCHMARKS.md). Not part of `npm test`.
# Brings up the isolated environment (scripts/test-env.sh up, idempotent) and stops it afterwards only when
# this script started it: an environment that was already running (other work uses it) is left running.
# The heavy parts run on a private dockerd that bench/run.ts starts and kills by pid.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${TEST_ENV_DIR:-$ROOT/.test-env}
cd "$ROOT"

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

started_here=0
if ! { [ -f "$STATE/env" ] && alive "$STATE/engine/docker.pid" && alive "$STATE/registry/pid"; }; then
  started_here=1
fi
stop_env() {
  if [ "$started_here" = 1 ]; then bash scripts/test-env.sh down || true; fi
}
trap stop_env EXIT

bash scripts/test-env.sh up
# Start-up and memory are measured on the compiled service, as production runs it.
npm run --silent build
# The whole run is bounded; a hung phase must not hold the machine.
timeout "${BENCH_TIMEOUT_S:-900}" npx tsx bench/run.ts
