#!/usr/bin/env bash
# Makes a docker engine answer: installs docker.io if dockerd is missing, starts dockerd if needed.
# Usage: docker-engine.sh BIN CACHE ENVFILE   (appends `export DOCKER_HOST=...` to ENVFILE when needed)
# Safe to run repeatedly, as root or not. Never fails the caller: without an engine the container
# tests skip (or fail under CI=true, which is where the message below matters).
set -uo pipefail
cache=$2 env_file=$3
mkdir -p "$cache"
log="$cache/dockerd.log"

say() { echo "docker-engine: $*" >&2; }

# Run as root: directly when we are root, through passwordless sudo otherwise.
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo -n "$@"
  else return 126
  fi
}

engine_ok() { timeout 10 docker info >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && engine_ok; then
  say "engine answers${DOCKER_HOST:+ at $DOCKER_HOST}"
  [ -n "${DOCKER_HOST:-}" ] && echo "export DOCKER_HOST=$DOCKER_HOST" >> "$env_file"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "dockerd is not installed and apt-get is not available: install Docker Engine yourself" \
      "(https://docs.docker.com/engine/install/); container tests will skip"
    exit 0
  fi
  say "installing docker.io with apt-get"
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      docker.io >"$cache/apt-docker.log" 2>&1; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$cache/apt-docker.log" 2>&1
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        docker.io >>"$cache/apt-docker.log" 2>&1; then
      say "could not install docker.io (need root or passwordless sudo; see $cache/apt-docker.log)." \
        "Fix: 'sudo apt-get install docker.io'. Container tests will skip."
      exit 0
    fi
  fi
fi

# A daemon already running but not answering us: wait a little, then name the likely cause.
sock=/var/run/docker.sock
if pgrep -x dockerd >/dev/null 2>&1; then
  for _ in $(seq 1 20); do engine_ok && break; sleep 0.5; done
  if engine_ok; then say "engine answers"; exit 0; fi
  if [ -S "$sock" ] && [ ! -w "$sock" ]; then
    say "dockerd runs but $sock is not writable for $(id -un)." \
      "Fix: 'sudo usermod -aG docker $(id -un)' and log in again. Container tests will skip."
  else
    say "dockerd runs but does not answer at ${DOCKER_HOST:-unix://$sock}; see 'docker info'." \
      "Container tests will skip."
  fi
  exit 0
fi

say "starting dockerd (log: $log)"
if [ "$(id -u)" = 0 ]; then
  nohup dockerd >"$log" 2>&1 </dev/null &
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo -n sh -c "nohup dockerd >'$log' 2>&1 </dev/null &"
else
  say "dockerd is not running and starting it needs root." \
    "Fix: 'sudo systemctl start docker' (or 'sudo dockerd &'). Container tests will skip."
  exit 0
fi

for _ in $(seq 1 60); do
  if engine_ok; then break; fi
  sleep 0.5
done
if ! engine_ok; then
  if [ -S "$sock" ] && [ ! -w "$sock" ]; then
    say "dockerd started but $sock is not writable for $(id -un)." \
      "Fix: 'sudo usermod -aG docker $(id -un)' and log in again. Container tests will skip."
  else
    say "dockerd did not answer within 30 s; see $log. Container tests will skip."
  fi
  exit 0
fi
say "engine answers"
