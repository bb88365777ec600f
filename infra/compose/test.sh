#!/usr/bin/env bash
# The container path's tests: the smoke tests and the end-to-end payment tests through
# testcontainers against the compose stack on the local image set (test/setup/containers.ts
# builds the images, brings compose.yaml + compose.local.yaml up, takes it down after).
# STACK_PROFILE=cluster runs them on compose.cluster.yaml too. Stops the native stack first:
# the containers take its ports. The last line is the summary "N passed, N failed".
#   bash infra/compose/test.sh          (bun run test:containers)
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="${PAYORCH_CACHE:-$HOME/.cache/payorch}/bun/bin:$PATH"
cd "$ROOT"
bun infra/stack/cli.ts down >/dev/null
# The test run takes its compose stack down after its last test; this also clears one a
# killed run left behind, before and after (all three files name every service).
leftovers() {
  if docker info >/dev/null 2>&1; then
    docker compose -p payorch-test -f compose.yaml -f compose.local.yaml -f compose.cluster.yaml down -v --remove-orphans >/dev/null 2>&1 || true
  fi
}
leftovers
TEST_STACK=containers bash infra/bun-test.sh test/smoke test/payments/processing.test.ts "$@"
rc=$?
leftovers
exit $rc
