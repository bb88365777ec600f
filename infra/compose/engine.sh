#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine, for the container path (compose,
# TEST_STACK=containers). Installs Debian's docker.io where no engine is installed and starts
# dockerd as root when none runs; installs the Compose plugin (`docker compose`) where the
# client has none, built from its Go module (Debian's bookworm has only Compose 1, which
# testcontainers cannot drive). Idempotent; prints why and exits 1 when it cannot.
#
# The engine is started for loopback-only machines: no default bridge and no iptables rules
# (--bridge=none), so containers run with host networking and publish nothing else. Users
# with a system-managed engine keep theirs: a running daemon is used as it is.
set -euo pipefail
say() { printf '\033[1m[engine]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[engine] %s\033[0m\n' "$*" >&2; exit 1; }

CACHE="${PAYORCH_CACHE:-$HOME/.cache/payorch}"
STATE="$CACHE/docker-engine"
LOG="$STATE/dockerd.log"
COMPOSE_VERSION=v5.6.0

# `docker compose`: the plugin built once into the cache, linked where the client looks.
compose_plugin() {
  docker compose version >/dev/null 2>&1 && return 0
  local bin="$CACHE/bin/docker-compose-$COMPOSE_VERSION"
  if [[ ! -x "$bin" ]]; then
    command -v go >/dev/null || die "Go is needed to build the Compose plugin (it builds Caddy, FerretDB and Mailpit too)"
    say "building Docker Compose $COMPOSE_VERSION from its Go module (first run only; cached in $CACHE/bin)"
    local dir src
    # Built inside its module, as its go.mod's replace and exclude lines need (go install refuses them).
    dir="$(go mod download -json "github.com/docker/compose/v5@$COMPOSE_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [[ -d "$dir" ]] || die "could not download github.com/docker/compose/v5@$COMPOSE_VERSION"
    src="$CACHE/src/compose-$COMPOSE_VERSION"
    rm -rf "$src" && mkdir -p "$CACHE/src" "$CACHE/bin" && cp -r "$dir" "$src" && chmod -R u+w "$src"
    (cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/docker/compose/v5/internal.Version=$COMPOSE_VERSION" -o "$bin.part" ./cmd) \
      || die "building Docker Compose failed"
    mv "$bin.part" "$bin"
  fi
  mkdir -p "$HOME/.docker/cli-plugins"
  ln -sf "$bin" "$HOME/.docker/cli-plugins/docker-compose"
  docker compose version >/dev/null 2>&1 || die "docker compose does not answer after installing the plugin"
  say "$(docker compose version)"
}

if docker info >/dev/null 2>&1; then
  say "engine running: $(docker info --format '{{.ServerVersion}}, storage {{.Driver}}, cgroup v{{.CgroupVersion}}')"
  compose_plugin
  exit 0
fi
[[ $(id -u) -eq 0 ]] || die "no Docker engine answers and this is not root: start one (or run as root to have it installed and started here)"

if ! command -v dockerd >/dev/null; then
  say "installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null || die "apt-get install docker.io failed"
fi

mkdir -p "$STATE"
say "starting dockerd (no bridge, no iptables; log $LOG)"
nohup dockerd --bridge=none --iptables=false --ip6tables=false >"$LOG" 2>&1 &
pid=$!
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    say "engine running: $(docker info --format '{{.ServerVersion}}, storage {{.Driver}}, cgroup v{{.CgroupVersion}}')"
    compose_plugin
    exit 0
  fi
  kill -0 "$pid" 2>/dev/null || { tail -n 20 "$LOG" >&2; die "dockerd exited: this machine cannot run a Docker engine (its log above)"; }
  sleep 0.5
done
tail -n 20 "$LOG" >&2
die "dockerd did not answer within 30 s (its log above)"
