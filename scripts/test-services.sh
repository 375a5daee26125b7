#!/usr/bin/env bash
# Prepares everything the test suite needs outside Python: the real RIE binary (oracle),
# and (see scripts/docker-*.sh) the docker engine and the Lambda-like test image.
# Writes $LAMBDA_STUDIO_TEST_CACHE/env.sh, which scripts/pytest.sh sources.
set -euo pipefail
bin=$1
cache="${LAMBDA_STUDIO_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lambda-studio-test}"
mkdir -p "$cache"
env_file="$cache/env.sh"
: > "$env_file.tmp"

# The real Runtime Interface Emulator ships inside the aws-sam-cli wheel.
rie="$cache/aws-lambda-rie-x86_64"
if [ "$(uname -m)" = x86_64 ] && [ ! -x "$rie" ]; then
  tmp=$(mktemp -d)
  if "$bin/python" -m pip download --quiet --no-deps --disable-pip-version-check -d "$tmp" aws-sam-cli; then
    "$bin/python" - "$tmp" "$rie" <<'PY'
import sys, zipfile, glob, os
wheel = glob.glob(os.path.join(sys.argv[1], "aws_sam_cli-*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    data = z.read("samcli/local/rapid/aws-lambda-rie-x86_64")
with open(sys.argv[2] + ".part", "wb") as f:
    f.write(data)
os.chmod(sys.argv[2] + ".part", 0o755)
os.replace(sys.argv[2] + ".part", sys.argv[2])
PY
  else
    echo "warning: could not download aws-sam-cli to extract the RIE binary; RIE oracle tests will skip" >&2
  fi
  rm -rf "$tmp"
fi
[ -x "$rie" ] && echo "export LAMBDA_STUDIO_RIE=$rie" >> "$env_file.tmp"

# Docker engine and test image (added by the container runner work).
for step in scripts/docker-engine.sh scripts/docker-test-image.sh; do
  if [ -f "$step" ]; then bash "$step" "$bin" "$cache" "$env_file.tmp"; fi
done
# SAM CLI for the differential test and benchmark of start-api (tests/integration/test_local_api_sam_diff.py).
bash scripts/sam-cli.sh "$bin" "$cache" "$env_file.tmp" || true
# Desktop-entry and AppStream validators for the bundle test (tests/integration/test_bundle.py).
bash scripts/packaging-tools.sh || true
mv "$env_file.tmp" "$env_file"
echo "test services ready ($env_file)"
