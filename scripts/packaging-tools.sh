#!/usr/bin/env bash
# Installs the desktop-file checkers the bundle test uses (desktop-file-validate from
# desktop-file-utils, appstreamcli from appstream) on Debian/Ubuntu, when missing.
# Never fails the caller: without them the checks skip (and fail under CI=true, which names this script).
set -uo pipefail
[ "$(uname -s)" = Linux ] || exit 0
command -v apt-get >/dev/null 2>&1 || exit 0
missing=()
command -v desktop-file-validate >/dev/null 2>&1 || missing+=(desktop-file-utils)
command -v appstreamcli >/dev/null 2>&1 || missing+=(appstream)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then sudo=(); elif sudo -n true 2>/dev/null; then sudo=(sudo -n); else
  echo "packaging-tools: install ${missing[*]} (sudo apt-get install ${missing[*]}) to validate the desktop entry" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  "${sudo[@]}" apt-get update -q >/dev/null 2>&1 || true
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || echo "packaging-tools: could not install ${missing[*]}; desktop entry checks will skip" >&2
fi
exit 0
