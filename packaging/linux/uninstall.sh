#!/bin/sh
# Removes what install.sh installed for the current user: the bundle, the launcher, the icons, the
# desktop entry and the AppStream data (listed in the bundle's install-manifest.txt).
# Settings and caches stay unless --purge is given (they are shared with a pip/pipx install).
set -eu
lib="$HOME/.local/lib/lambda-studio"
purge=no
for arg in "$@"; do
  case $arg in
    --purge) purge=yes ;;
    -h|--help) echo "usage: uninstall.sh [--purge]   (--purge also removes settings and caches)"; exit 0 ;;
    *) echo "uninstall.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done
manifest="$lib/install-manifest.txt"
if [ -f "$manifest" ]; then
  while IFS= read -r path; do
    [ -n "$path" ] && rm -f "$path"
  done < "$manifest"
fi
data="${XDG_DATA_HOME:-$HOME/.local/share}"
if command -v update-desktop-database >/dev/null 2>&1 && [ -d "$data/applications" ]; then
  update-desktop-database -q "$data/applications" 2>/dev/null || true
fi
rm -rf "$lib"
if [ "$purge" = yes ]; then
  rm -rf "${XDG_CONFIG_HOME:-$HOME/.config}/lambda-studio" "${XDG_CACHE_HOME:-$HOME/.cache}/lambda-studio"
fi
echo "Lambda Studio uninstalled"
[ "$purge" = yes ] || echo "  (settings and caches kept; run with --purge to remove them too)"
