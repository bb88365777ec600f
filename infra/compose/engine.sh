#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine, for the container path (compose,
# TEST_STACK=containers). Installs Debian's docker.io where no engine is installed and starts
# dockerd as root when none runs. Idempotent; prints why and exits 1 when it cannot.
#
# The engine is started for loopback-only machines: no default bridge and no iptables rules
# (--bridge=none), so containers run with host networking and publish nothing else. Users
# with a system-managed engine keep theirs: a running daemon is used as it is.
set -euo pipefail
say() { printf '\033[1m[engine]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[engine] %s\033[0m\n' "$*" >&2; exit 1; }

STATE="${PAYORCH_CACHE:-$HOME/.cache/payorch}/docker-engine"
LOG="$STATE/dockerd.log"

if docker info >/dev/null 2>&1; then
  say "engine running: $(docker info --format '{{.ServerVersion}}, storage {{.Driver}}, cgroup v{{.CgroupVersion}}')"
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
    exit 0
  fi
  kill -0 "$pid" 2>/dev/null || { tail -n 20 "$LOG" >&2; die "dockerd exited: this machine cannot run a Docker engine (its log above)"; }
  sleep 0.5
done
tail -n 20 "$LOG" >&2
die "dockerd did not answer within 30 s (its log above)"
