#!/usr/bin/env bash
# Runs every test suite and exits non-zero on any failure:
#   the TypeScript type check, Biome's lint and format check (biome.json), then `bun test` (unit tests beside the code, and
#   integration/end-to-end tests under test/ against the real local stack,
#   which the test preload brings up when it is not running), then the short
#   chaos run and the cluster chaos run (their invariants count as tests), the
#   latter on the stack's cluster profile. Arguments go to `bun test` and skip
#   the chaos runs.
# The last line is a plain summary: "N passed, N failed".
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${PAYORCH_CACHE:-$HOME/.cache/payorch}"
bash "$ROOT/infra/bootstrap.sh" || { echo "0 passed, 1 failed"; exit 1; }
export PATH="$CACHE/bun/bin:$PATH"
cd "$ROOT"

passed=0 failed=0
echo "== type check (tsc --noEmit)"
if bun run --silent typecheck; then passed=$((passed + 1)); echo "type check: ok"; else failed=$((failed + 1)); echo "type check: FAILED"; fi
echo "== lint and format (biome ci)"
if bun run --silent lint; then passed=$((passed + 1)); echo "lint: ok"; else failed=$((failed + 1)); echo "lint: FAILED (bun run format fixes the formatting)"; fi

echo "== bun test $*"
out="$(mktemp)"
bun test "$@" 2>&1 | tee "$out"
bun_rc=${PIPESTATUS[0]}
p=$(grep -Eo '^ *[0-9]+ pass$' "$out" | tail -1 | grep -Eo '[0-9]+' || echo 0)
f=$(grep -Eo '^ *[0-9]+ fail$' "$out" | tail -1 | grep -Eo '[0-9]+' || echo 0)
rm -f "$out"
passed=$((passed + p)) failed=$((failed + f))
# A crash or an error outside any test still fails the run.
if [[ $bun_rc -ne 0 && $f -eq 0 ]]; then failed=$((failed + 1)); echo "bun test exited with $bun_rc"; fi

# One chaos run; its invariants count as tests.
chaos() {
  local out chaos_rc summary
  echo "== chaos run ($1 profile)"
  out="$(mktemp)"
  bun infra/chaos/run.ts "$1" 2>&1 | tee "$out"
  chaos_rc=${PIPESTATUS[0]}
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)
  rm -f "$out"
  if [[ -n "$summary" ]]; then
    passed=$((passed + $(cut -d' ' -f1 <<<"$summary"))) failed=$((failed + $(cut -d' ' -f3 <<<"$summary")))
  fi
  if [[ $chaos_rc -ne 0 && -z "$summary" ]]; then failed=$((failed + 1)); echo "$1 chaos run exited with $chaos_rc"; fi
}

if [[ $# -eq 0 ]]; then
  chaos short
  # The cluster profile uses the same ports: the default stack goes down first, the cluster
  # stack after its run.
  bun infra/stack/cli.ts down
  chaos cluster
  bun infra/stack/cli.ts down
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
