#!/usr/bin/env bash
# Runs the whole pytest suite with the environment the tests expect.
set -euo pipefail
bin=$1
export QT_QPA_PLATFORM=offscreen
export LAMBDA_STUDIO_TEST_CACHE="${LAMBDA_STUDIO_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lambda-studio-test}"
[ -f "$LAMBDA_STUDIO_TEST_CACHE/env.sh" ] && . "$LAMBDA_STUDIO_TEST_CACHE/env.sh"
exec "$bin/python" -m pytest "${@:2}"
