#!/usr/bin/env bash
# Opens Lambda Studio on a project; explains what to do where no display exists.
set -euo pipefail
bin=$1 project=$2
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "$(uname -s)" = Linux ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
  cat >&2 <<MSG
No display found (neither DISPLAY nor WAYLAND_DISPLAY is set), so the window cannot be shown.
To run it anyway:
  - on a virtual screen:   xvfb-run -a make run        (Debian: apt-get install xvfb)
  - without any screen:    QT_QPA_PLATFORM=offscreen make run
  - the command line works without a display:  $bin/lambda-studio functions $project
MSG
  exit 2
fi
exec "$bin/lambda-studio" "$project"
