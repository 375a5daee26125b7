#!/usr/bin/env bash
# Installs bubblewrap (bwrap), which the process backend uses on Linux to run a function's runtime in
# its own user/mount/pid namespaces (docs/sandbox.md), on Debian/Ubuntu, when missing.
# Never fails the caller: without bwrap the process backend runs unsandboxed and says so once.
set -uo pipefail
[ "$(uname -s)" = Linux ] || exit 0
command -v bwrap >/dev/null 2>&1 && exit 0
command -v apt-get >/dev/null 2>&1 || exit 0
if [ "$(id -u)" = 0 ]; then sudo=(); elif sudo -n true 2>/dev/null; then sudo=(sudo -n); else
  echo "sandbox-tools: install bubblewrap (sudo apt-get install bubblewrap) to sandbox the process backend" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends bubblewrap >/dev/null 2>&1; then
  "${sudo[@]}" apt-get update -q >/dev/null 2>&1 || true
  "${sudo[@]}" apt-get install -y -q --no-install-recommends bubblewrap >/dev/null 2>&1 \
    || echo "sandbox-tools: could not install bubblewrap; the process backend will run unsandboxed" >&2
fi
exit 0
