#!/usr/bin/env bash
# `bun test` with its arguments, ending in the summary line the other suites print:
# "N passed, N failed". A crash or an error outside any test counts as one failure.
# infra/test.sh and infra/compose/test.sh count their bun tests through it.
set -uo pipefail
out="$(mktemp)"
bun test "$@" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
p=$(grep -Eo '^ *[0-9]+ pass$' "$out" | tail -1 | grep -Eo '[0-9]+' || echo 0)
f=$(grep -Eo '^ *[0-9]+ fail$' "$out" | tail -1 | grep -Eo '[0-9]+' || echo 0)
rm -f "$out"
if [[ $rc -ne 0 && $f -eq 0 ]]; then f=1; echo "bun test exited with $rc"; fi
echo "$p passed, $f failed"
[[ $f -eq 0 ]]
