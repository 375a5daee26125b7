#!/usr/bin/env bash
# Installs the system libraries Qt's xcb/offscreen platforms load, on Debian/Ubuntu, when missing.
# Root installs directly; others use sudo when it works without a password; otherwise it says what to run.
set -u
[ "$(uname -s)" = Linux ] || exit 0
command -v apt-get >/dev/null 2>&1 || exit 0
missing=()
for pair in libEGL.so.1:libegl1 libGL.so.1:libgl1 libxkbcommon.so.0:libxkbcommon0 \
            libfontconfig.so.1:libfontconfig1 libdbus-1.so.3:libdbus-1-3; do
  lib=${pair%%:*} pkg=${pair##*:}
  ldconfig -p 2>/dev/null | grep -q "$lib" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else
  echo "Qt needs these system packages: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null 2>&1 || true
$sudo apt-get install -y -q "${missing[@]}" >/dev/null
