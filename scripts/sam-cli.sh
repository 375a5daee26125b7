#!/usr/bin/env bash
# SAM CLI (from PyPI, in a venv of its own so its pins never touch ours) for the differential test
# and the benchmark against `sam local start-api`. Usage: scripts/sam-cli.sh PYTHON_BIN_DIR CACHE ENV_FILE
# Appends `export LAMBDA_STUDIO_SAM=<path to sam>` to ENV_FILE when SAM CLI is ready.
set -euo pipefail
bin=$1
cache=$2
env_file=$3
version="${LAMBDA_STUDIO_SAM_VERSION:-1.170.0}"
venv="$cache/sam-cli-$version"
sam="$venv/bin/sam"
if [ ! -f "$venv/.complete" ]; then
  rm -rf "$venv"
  "$bin/python" -m venv "$venv"
  if "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "aws-sam-cli==$version" \
      && "$sam" --version >/dev/null; then
    touch "$venv/.complete"
  else
    echo "warning: could not install aws-sam-cli $version; the SAM differential test and benchmark will skip" >&2
    rm -rf "$venv"
  fi
fi
if [ -f "$venv/.complete" ]; then
  echo "export LAMBDA_STUDIO_SAM=$sam" >> "$env_file"
fi
