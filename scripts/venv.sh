#!/usr/bin/env bash
# Creates (or refreshes) the project's virtual environment: venv.sh PYTHON VENV app|test
set -euo pipefail
python=$1 venv=$2 kind=$3
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Lambda Studio needs Python 3.11 or newer; '$python' is $("$python" --version 2>&1)." >&2
  echo "Run again with PYTHON=/path/to/python3.11 (or newer)." >&2
  exit 2
fi
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
if [ "$kind" = test ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'
else
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e .
fi
# Qt needs a handful of system libraries that minimal Linux images lack.
bash scripts/system-libs.sh || true
# The process backend sandboxes runtimes with bubblewrap on Linux (docs/sandbox.md).
bash scripts/sandbox-tools.sh || true
