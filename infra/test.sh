#!/usr/bin/env bash
# Runs every test suite and exits non-zero on any failure:
#   the TypeScript type check, Biome's lint and format check (biome.json), then `bun test` (unit tests beside the code, and
#   integration/end-to-end tests under test/ against the real local stack,
#   which the test preload brings up when it is not running), then the short
#   chaos run and the cluster chaos run (their invariants count as tests), the
#   latter on the stack's cluster profile, then the container path's tests
#   (infra/compose/test.sh: smoke and end-to-end tests through testcontainers on
#   the compose stack). Arguments go to `bun test` and skip the rest.
# The last line is a plain summary: "N passed, N failed".
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${PAYORCH_CACHE:-$HOME/.cache/payorch}"
bash "$ROOT/infra/bootstrap.sh" || { echo "0 passed, 1 failed"; exit 1; }
export PATH="$CACHE/bun/bin:$PATH"
cd "$ROOT"

passed=0 failed=0
# A suite whose last line is "N passed, N failed" (bun test, the chaos runs, the container
# path's tests): its counts are added; one that exits non-zero without that line is one failure.
suite() {
  local label="$1" out rc summary
  shift
  out="$(mktemp)"
  "$@" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)
  rm -f "$out"
  if [[ -n "$summary" ]]; then
    passed=$((passed + $(cut -d' ' -f1 <<<"$summary"))) failed=$((failed + $(cut -d' ' -f3 <<<"$summary")))
  fi
  if [[ $rc -ne 0 && -z "$summary" ]]; then failed=$((failed + 1)); echo "$label exited with $rc"; fi
}

echo "== type check (tsc --noEmit)"
if bun run --silent typecheck; then passed=$((passed + 1)); echo "type check: ok"; else failed=$((failed + 1)); echo "type check: FAILED"; fi
echo "== lint and format (biome ci)"
if bun run --silent lint; then passed=$((passed + 1)); echo "lint: ok"; else failed=$((failed + 1)); echo "lint: FAILED (bun run format fixes the formatting)"; fi

echo "== bun test $*"
suite "bun test" bash infra/bun-test.sh "$@"

if [[ $# -eq 0 ]]; then
  echo "== chaos run (short profile)"
  suite "short chaos run" bun infra/chaos/run.ts short
  # The cluster profile and the containers use the same ports: each stack goes down first.
  bun infra/stack/cli.ts down
  echo "== chaos run (cluster profile)"
  suite "cluster chaos run" bun infra/chaos/run.ts cluster
  bun infra/stack/cli.ts down
  echo "== container path (compose on the local image set, through testcontainers)"
  suite "container path" bash infra/compose/test.sh
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
