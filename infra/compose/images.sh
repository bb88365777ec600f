#!/usr/bin/env bash
# Builds the local image set for the container path, with no registry: a Debian root
# filesystem made from Debian's packages (mmdebstrap), imported with `docker import` as the
# base, and on it one image per component from the binaries and jars the native stack
# already runs (infra/compose/images/<component>/Dockerfile). compose.local.yaml runs them.
#
#   bash infra/compose/images.sh      # engine, base image, project images (idempotent)
#
# The base's root filesystem is cached as a tarball keyed by its package list
# ($PAYORCH_CACHE/images), and the image is imported again only when the engine lacks it;
# the project images are rebuilt every time from the checkout (about a minute and a half:
# COPY layers, plus a production install of the dependencies from Bun's cache).
set -euo pipefail
say() { printf '\033[1m[images]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[images] %s\033[0m\n' "$*" >&2; exit 1; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${PAYORCH_CACHE:-$HOME/.cache/payorch}"
OUT="$CACHE/images"
export PATH="$CACHE/bun/bin:$PATH"
cd "$ROOT"

bash infra/compose/engine.sh
docker compose version >/dev/null 2>&1 || die "docker compose is missing: run bash infra/compose/engine.sh"

# Everything a component needs at run time, installed once in the base: Postgres 15 (as on
# the native stack), the JRE for Kafka, the libraries the Kafka client's addon links against.
SUITE=bookworm
PACKAGES=(ca-certificates tzdata procps postgresql-15 openjdk-17-jre-headless libssl3 libzstd1 liblz4-1 libsasl2-2 libcurl4 zlib1g)
MIRRORS=(
  "deb http://deb.debian.org/debian $SUITE main"
  "deb http://deb.debian.org/debian $SUITE-updates main"
  "deb http://deb.debian.org/debian-security $SUITE-security main"
)
key="$(printf '%s\n' "$SUITE" "${PACKAGES[@]}" "${MIRRORS[@]}" | sha256sum | cut -c1-12)"
BASE="payorch/base:$SUITE-$key"
mkdir -p "$OUT"

if ! docker image inspect "$BASE" >/dev/null 2>&1; then
  rootfs="$OUT/base-$SUITE-$key.tar"
  if [[ ! -s "$rootfs" ]]; then
    if ! command -v mmdebstrap >/dev/null; then
      [[ $(id -u) -eq 0 ]] || die "mmdebstrap is missing (sudo apt-get install mmdebstrap)"
      say "installing Debian's mmdebstrap"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
    fi
    say "building the base root filesystem from Debian's packages ($SUITE: ${PACKAGES[*]})"
    # Postgres' package creates a cluster of its own; the images make theirs at first start.
    # A user for the platform's services (uid 10001), as the official images run unprivileged.
    mmdebstrap --variant=minbase --format=tar --include="$(IFS=,; echo "${PACKAGES[*]}")" \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
      --customize-hook='rm -rf "$1"/var/lib/postgresql/15/main "$1"/etc/postgresql/15/main "$1"/usr/share/man/* "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
      --customize-hook='chroot "$1" useradd --uid 10001 --create-home --shell /bin/sh payorch' \
      "$SUITE" "$rootfs.part" "${MIRRORS[@]}" >"$OUT/mmdebstrap.log" 2>&1 \
      || { tail -n 30 "$OUT/mmdebstrap.log" >&2; rm -f "$rootfs.part"; die "mmdebstrap failed (log $OUT/mmdebstrap.log)"; }
    mv "$rootfs.part" "$rootfs"
  fi
  say "importing $rootfs as $BASE"
  docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'ENV LANG=C.UTF-8' "$rootfs" "$BASE" >/dev/null
fi

# One build context per image under $OUT/context: its directory of infra/compose/images
# plus what it copies: the native stack's binaries and jars from the cache, and the checkout
# with a production install of its dependencies. Small contexts matter: the legacy builder
# sends the whole context on every build. The app image carries the code; api, simulator
# and streams only add their command to it.
bun infra/stack/cli.ts provision >/dev/null
CTX="$OUT/context"
rm -rf "$CTX"
stage() { # stage <image> [file...]: the image's context with those files in it
  local dir="$CTX/$1"
  mkdir -p "$dir"
  cp -r infra/compose/images/"$1"/. "$dir/"
  shift
  [[ $# -eq 0 ]] || cp -rL "$@" "$dir/"
}
stage postgres
stage kafka "$CACHE/kafka-$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' infra/kafka/pom.xml)/libs"
stage ferretdb "$CACHE/bin/ferretdb"
stage mailpit "$CACHE/bin/mailpit"
stage caddy "$CACHE/bin/caddy"
stage app "$(command -v bun)" node_modules/node/bin/node
mkdir -p "$CTX/app/app"
cp -r package.json bun.lock tsconfig.json shared api simulator streams "$CTX/app/app/"
(cd "$CTX/app/app" && bun install --frozen-lockfile --production --ignore-scripts >/dev/null)
# The Kafka client as installed here: its JavaScript, its addon and librdkafka, not its sources.
ckjs=node_modules/@confluentinc/kafka-javascript
dest="$CTX/app/app/$ckjs"
rm -rf "$dest" && mkdir -p "$dest/build/Release" "$dest/build/deps"
cp -r "$ckjs/package.json" "$ckjs/librdkafka.js" "$ckjs/lib" "$ckjs/types" "$dest/"
cp "$ckjs"/build/Release/*.node "$dest/build/Release/"
cp -P "$ckjs"/build/deps/librdkafka*.so* "$dest/build/deps/"
for s in api simulator streams; do stage "$s"; done

TAG="${PAYORCH_IMAGE_TAG:-local}"
build() { # build <image> <build-arg>
  say "building payorch/$1:$TAG"
  # The legacy builder: Debian's engine has no BuildKit front end, and these images need none.
  local out
  out="$(DOCKER_BUILDKIT=0 docker build -q --build-arg "$2" -t "payorch/$1:$TAG" "$CTX/$1" 2>&1)" || { printf '%s\n' "$out" >&2; die "building payorch/$1 failed"; }
}
for image in postgres kafka ferretdb mailpit caddy app; do build "$image" "BASE=$BASE"; done
for image in api simulator streams; do build "$image" "APP=payorch/app:$TAG"; done
say "images ready: $(docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' 'payorch/*' | grep ":$TAG " | tr '\n' ' ')"
