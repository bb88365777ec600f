#!/usr/bin/env bash
# Developer tools that building, running and testing the platform do not need: a Python
# venv under the cache dir with the API fuzzer (Schemathesis, see infra/fuzz.sh), every
# package pinned in infra/dev-tools.requirements.txt. Idempotent and quick once done: the
# venv is reused while it was made from the same requirements file.
# Prints the venv's path as its last line.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${PAYORCH_CACHE:-$HOME/.cache/payorch}"
VENV="$CACHE/dev-tools/venv"
REQUIREMENTS="$ROOT/infra/dev-tools.requirements.txt"

say() { printf '\033[1m[dev-tools]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[dev-tools] %s\033[0m\n' "$*" >&2; exit 1; }

stamp="$VENV/.requirements.sha256"
want="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
if [[ -x "$VENV/bin/schemathesis" && "$(cat "$stamp" 2>/dev/null)" == "$want" ]]; then
  echo "$VENV"
  exit 0
fi

command -v python3 >/dev/null || die "python3 is needed for the dev tools (Debian: apt-get install python3 python3-venv)"
say "creating $VENV ($(grep -E '^schemathesis==' "$REQUIREMENTS"), from PyPI)"
rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")"
python3 -m venv "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --require-virtualenv -r "$REQUIREMENTS" \
  || { rm -rf "$VENV"; die "installing $REQUIREMENTS failed"; }
echo "$want" >"$stamp"
say "$("$VENV/bin/schemathesis" --version)"
echo "$VENV"
