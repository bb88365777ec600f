#!/usr/bin/env bash
# Fuzzes the public API from its own OpenAPI document, through Caddy over HTTPS verified
# against Caddy's root CA, with the dev merchant's key (the dev operator key on /ops/):
# Schemathesis (pinned, in the dev-tools venv) sends schema-valid and schema-breaking
# requests to every operation, plus create-then-read sequences. Fails on any 5xx, and when
# fewer than FUZZ_MIN_CASES cases ran.
#
# Needs the stack up (bun run stack up). Sends requests to the loopback endpoint only, and
# creates real (test) payments on the dev merchant. The operator endpoints that change dead
# letters (POST /ops/...: replay, discard) are left out unless FUZZ_OPS_WRITES=1, so a run
# never replays or discards the stack's dead letters; PUT /v1/routing likewise unless
# FUZZ_ROUTING_WRITES=1. Reports: .stack/fuzz/<time>/.
#
#   infra/fuzz.sh [extra `schemathesis run` options]
#   FUZZ_EXAMPLES=400   cases per operation and phase     FUZZ_MIN_CASES=2000
#   FUZZ_SEED=<n>       replay a run's seed                FUZZ_TIMEOUT=900 (seconds, whole run)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${PAYORCH_CACHE:-$HOME/.cache/payorch}"
EXAMPLES="${FUZZ_EXAMPLES:-400}"
MIN_CASES="${FUZZ_MIN_CASES:-2000}"
TIMEOUT="${FUZZ_TIMEOUT:-900}"

say() { printf '\033[1m[fuzz]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[fuzz] %s\033[0m\n' "$*" >&2; exit 2; }

VENV="$(bash "$ROOT/infra/dev-tools.sh" | tail -1)"
export PATH="$CACHE/bun/bin:$PATH"
cd "$ROOT"

# Endpoint, CA and key from the modules the stack and the tests use, never a copy.
mapfile -t cfg < <(bun -e '
  const { caddyCaPath } = await import("./infra/stack/public-api.ts");
  const { DEV_MERCHANT_KEY, DEV_OPS_KEY } = await import("./infra/stack/components/index.ts");
  const { loadStackEnv } = await import("./shared/config.ts");
  console.log([loadStackEnv().PUBLIC_URL, caddyCaPath, DEV_MERCHANT_KEY, DEV_OPS_KEY].join("\n"));')
PUBLIC_URL="${cfg[0]}" CA="${cfg[1]}"
export FUZZ_MERCHANT_KEY="${cfg[2]}" FUZZ_OPS_KEY="${cfg[3]}"
host="$("$VENV/bin/python" -c 'import sys, urllib.parse; print(urllib.parse.urlsplit(sys.argv[1]).hostname)' "$PUBLIC_URL")"
case "$host" in
  localhost | 127.0.0.1 | ::1) ;;
  *) die "PUBLIC_URL $PUBLIC_URL is not on loopback: this fuzzer only runs against the local stack" ;;
esac
[[ -f "$CA" ]] || die "no Caddy root CA at $CA: is the stack up? (bun run stack up)"

# Hypothesis' example database and Schemathesis' replay cassettes live in the work dir,
# so a failing case found once is tried first on the next run.
work="$ROOT/.stack/fuzz"
reports="$work/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$reports"
cd "$work"
# Keys by path, read from the environment (Schemathesis resolves the placeholders): a
# wrong key would make every call a 401, which the API counts as failed authentication.
cat >schemathesis.toml <<'EOF'
headers = { Authorization = "Bearer ${FUZZ_MERCHANT_KEY}" }

[[operations]]
include-path-regex = "^/ops/"
headers = { Authorization = "Bearer ${FUZZ_OPS_KEY}" }
EOF

args=(
  "$PUBLIC_URL/docs/openapi.json"
  --tls-verify "$CA"
  --checks not_a_server_error
  --max-examples "$EXAMPLES"
  # One worker: with two, the fuzzer itself crashed in a race inside CPython 3.11's ast.parse.
  --workers 1
  --request-timeout 10
  --wait-for-schema 30
  --report json,junit
  --report-dir "$reports"
)
[[ -n "${FUZZ_SEED:-}" ]] && args+=(--seed "$FUZZ_SEED")
# An operation's name is "METHOD /path". PUT /v1/routing would leave the dev merchant's
# payments routed by whatever rules the last generated case held: left out unless
# FUZZ_ROUTING_WRITES=1.
excluded=()
[[ "${FUZZ_OPS_WRITES:-0}" == 1 ]] || excluded+=('^POST /ops/')
[[ "${FUZZ_ROUTING_WRITES:-0}" == 1 ]] || excluded+=('^PUT /v1/routing$')
((${#excluded[@]} == 0)) || args+=(--exclude-name-regex "$(IFS='|'; echo "${excluded[*]}")")

say "schemathesis $("$VENV/bin/schemathesis" --version | awk '{print $NF}') against $PUBLIC_URL, $EXAMPLES cases per operation and phase"
set +e
PYTHONPATH="$ROOT/infra" SCHEMATHESIS_HOOKS=fuzz_hooks \
  timeout --kill-after=10 "$TIMEOUT" "$VENV/bin/schemathesis" --config-file schemathesis.toml run "${args[@]}" "$@"
rc=$?
set -e
[[ $rc -eq 124 || $rc -eq 137 ]] && die "the run took longer than ${TIMEOUT}s (FUZZ_TIMEOUT)"

report="$(ls "$reports"/json-*.json 2>/dev/null | tail -1)"
[[ -n "$report" ]] || die "schemathesis wrote no report (exit code $rc)"
read -r cases failing < <("$VENV/bin/python" -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["test_cases"]["generated"], r["test_cases"]["with_failures"])' "$report")
say "$cases cases, $failing with a server error; reports in $reports"
if [[ $rc -ne 0 ]]; then
  say "FAILED: see the failures above (each with a curl line to reproduce it)"
  exit 1
fi
if ((cases < MIN_CASES)); then
  say "FAILED: only $cases cases ran, fewer than $MIN_CASES (raise FUZZ_EXAMPLES)"
  exit 1
fi
say "ok: no 5xx in $cases cases"
