#!/usr/bin/env bash
# Sets everything up (first run: system packages, Bun, node_modules, and the
# stack's binaries into ~/.cache/payorch), then starts the whole platform and
# stays in the foreground, each process's log lines prefixed by its name.
# Ctrl-C stops it all.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/infra/bootstrap.sh"
export PATH="${PAYORCH_CACHE:-$HOME/.cache/payorch}/bun/bin:$PATH"
cd "$ROOT"
exec bun infra/stack/cli.ts up --foreground
