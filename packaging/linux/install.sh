#!/bin/sh
# Installs Lambda Studio for the current user, without root:
#   the bundle        -> ~/.local/lib/lambda-studio/
#   a launcher        -> ~/.local/bin/lambda-studio
#   icons             -> $XDG_DATA_HOME/icons/hicolor/<N>x<N>/apps/ (and scalable/)
#   the desktop entry -> $XDG_DATA_HOME/applications/lambda-studio.desktop
#   AppStream data    -> $XDG_DATA_HOME/metainfo/
# ($XDG_DATA_HOME defaults to ~/.local/share.) Run it from the unpacked archive; run it again to
# upgrade. Remove everything with ~/.local/lib/lambda-studio/uninstall.sh.
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
lib="$HOME/.local/lib/lambda-studio"
bin="$HOME/.local/bin"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
app_id=io.lambdastudio.LambdaStudio

if [ ! -x "$here/lambda-studio/lambda-studio" ]; then
  echo "install.sh: $here/lambda-studio/lambda-studio is missing; run install.sh from the unpacked archive" >&2
  exit 1
fi

# The bundle: copied next to the old one, then swapped, so a failed copy leaves the old one working.
mkdir -p "$(dirname "$lib")" "$bin" "$data/applications" "$data/metainfo"
rm -rf "$lib.new"
cp -R "$here/lambda-studio" "$lib.new"
cp "$here/uninstall.sh" "$lib.new/uninstall.sh"
chmod 755 "$lib.new/uninstall.sh"
rm -rf "$lib"
mv "$lib.new" "$lib"
manifest="$lib/install-manifest.txt"
: > "$manifest"

# The launcher: a tiny script, so the bundle finds its _internal/ folder whatever PATH says.
cat > "$bin/lambda-studio.new" <<LAUNCHER
#!/bin/sh
# Lambda Studio launcher, written by install.sh; remove with $lib/uninstall.sh
exec "$lib/lambda-studio" "\$@"
LAUNCHER
chmod 755 "$bin/lambda-studio.new"
mv "$bin/lambda-studio.new" "$bin/lambda-studio"
echo "$bin/lambda-studio" >> "$manifest"

# Icons, in every size the archive carries.
for dir in "$here"/share/icons/hicolor/*/apps; do
  size=$(basename "$(dirname "$dir")")
  mkdir -p "$data/icons/hicolor/$size/apps"
  for icon in "$dir"/lambda-studio.*; do
    cp "$icon" "$data/icons/hicolor/$size/apps/"
    echo "$data/icons/hicolor/$size/apps/$(basename "$icon")" >> "$manifest"
  done
done
touch "$data/icons/hicolor" 2>/dev/null || true  # desktops rescan a theme whose folder changed

# The desktop entry, pointing at the launcher by absolute path (~/.local/bin is not always on the
# desktop session's PATH). Exec values with spaces or special characters must be quoted.
case "$bin" in
  *[!A-Za-z0-9_./+-]*) exec_path="\"$bin/lambda-studio\"" ;;
  *) exec_path="$bin/lambda-studio" ;;
esac
desktop="$data/applications/lambda-studio.desktop"
while IFS= read -r line; do
  case $line in
    Exec=*) printf 'Exec=%s %%f\n' "$exec_path" ;;
    TryExec=*) printf 'TryExec=%s\n' "$bin/lambda-studio" ;;
    *) printf '%s\n' "$line" ;;
  esac
done < "$here/share/applications/lambda-studio.desktop" > "$desktop.new"
mv "$desktop.new" "$desktop"
echo "$desktop" >> "$manifest"
cp "$here/share/metainfo/$app_id.metainfo.xml" "$data/metainfo/"
echo "$data/metainfo/$app_id.metainfo.xml" >> "$manifest"
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q "$data/applications" 2>/dev/null || true
fi

echo "Lambda Studio installed in $lib"
echo "  start it from the applications menu, or run: $bin/lambda-studio [PROJECT-FOLDER]"
case ":${PATH:-}:" in
  *":$bin:"*) ;;
  *) echo "  note: $bin is not on your PATH; add it to run 'lambda-studio' by name" ;;
esac
echo "  uninstall: $lib/uninstall.sh"
