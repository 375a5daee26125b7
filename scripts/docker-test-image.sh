#!/usr/bin/env bash
# Builds (or loads from the cache) lambda-studio-test/python:3.11, a local image laid out like
# public.ecr.aws/lambda/python:3.11, from the recipe in tests/images/python3.11/.
# Usage: docker-test-image.sh BIN CACHE ENVFILE   (appends `export LAMBDA_STUDIO_TEST_IMAGE=...`)
# The image is saved as a tarball in CACHE keyed by the recipe's hash: a fresh engine loads it
# in seconds; a changed recipe builds a new one. Never fails the caller: without the image the
# container tests skip (or fail under CI=true).
set -uo pipefail
bin=$1 cache=$2 env_file=$3
here=$(cd "$(dirname "$0")/.." && pwd)
recipe="$here/tests/images/python3.11"
image=lambda-studio-test/python:3.11
official=public.ecr.aws/lambda/python:3.11-x86_64
rie="$cache/aws-lambda-rie-x86_64"

say() { echo "docker-test-image: $*" >&2; }
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo -n "$@"
  else return 126
  fi
}

if ! timeout 10 docker info >/dev/null 2>&1; then
  say "no docker engine answers; skipping the test image"
  exit 0
fi
if [ "$(uname -m)" != x86_64 ]; then
  say "the test image is x86_64-only (the RIE in the aws-sam-cli wheel is); skipping"
  exit 0
fi

key=$(cd "$recipe" && cat ./* "$here/scripts/docker-test-image.sh" | sha256sum | cut -c1-16)
keyed="lambda-studio-test/python:3.11-recipe-$key"
tarball="$cache/images/python3.11-$key.tar"
mkdir -p "$cache/images"

tag_all() {
  docker tag "$keyed" "$image" && docker tag "$keyed" "$official"
}
finish() {
  tag_all || exit 0
  echo "export LAMBDA_STUDIO_TEST_IMAGE=$image" >> "$env_file"
  say "$image ready (recipe $key)"
  exit 0
}

if docker image inspect "$keyed" >/dev/null 2>&1; then finish; fi
if [ -f "$tarball" ]; then
  say "loading $tarball"
  if docker load -i "$tarball" >/dev/null; then finish; fi
  say "could not load $tarball; rebuilding"
  rm -f "$tarball"
fi
if [ ! -x "$rie" ]; then
  say "the RIE binary ($rie) is missing; cannot build the test image"
  exit 0
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  say "installing debootstrap"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap \
    >"$cache/apt-debootstrap.log" 2>&1 \
    || { as_root apt-get update -q >>"$cache/apt-debootstrap.log" 2>&1 \
      && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        debootstrap >>"$cache/apt-debootstrap.log" 2>&1; } \
    || { say "could not install debootstrap (needs root or passwordless sudo); skipping"; exit 0; }
fi
if ! as_root true; then
  say "building the image needs root (debootstrap) or passwordless sudo; skipping"
  exit 0
fi

start=$(date +%s)
work="$cache/build-$key"
as_root rm -rf "$work"
mkdir -p "$work" "$cache/debs" "$cache/wheels"
rootfs="$work/rootfs"
packages=$(grep -v '^#' "$recipe/packages.txt" | xargs | tr ' ' ',')
mirror="${LAMBDA_STUDIO_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
say "debootstrap bookworm (minbase, $packages) from $mirror"
if ! as_root debootstrap --variant=minbase --include="$packages" --cache-dir="$cache/debs" \
    bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
  say "debootstrap failed (see $work/debootstrap.log); skipping"
  exit 0
fi

# awslambdaric and its dependencies as cp311 manylinux x86_64 wheels, installed like the official image.
pip_platform=(--only-binary=:all: --platform manylinux2014_x86_64 --python-version 3.11
  --implementation cp --abi cp311)
if ! "$bin/python" -m pip download --quiet --disable-pip-version-check "${pip_platform[@]}" \
    -d "$cache/wheels" -r "$recipe/requirements.txt" >"$work/pip.log" 2>&1; then
  say "could not download the runtime wheels (see $work/pip.log); skipping"
  exit 0
fi
stage="$work/runtime"
if ! "$bin/python" -m pip install --quiet --disable-pip-version-check --no-index --no-compile \
    --find-links "$cache/wheels" "${pip_platform[@]}" --target "$stage" \
    -r "$recipe/requirements.txt" >>"$work/pip.log" 2>&1; then
  say "could not install the runtime wheels (see $work/pip.log); skipping"
  exit 0
fi

as_root sh -eu -c '
  root=$1 recipe=$2 stage=$3 rie=$4
  mkdir -p "$root/var/runtime" "$root/var/task" "$root/opt" "$root/var/lang/bin" "$root/var/lang/lib" \
    "$root/usr/local/bin"
  cp -a "$stage"/. "$root/var/runtime/"
  rm -rf "$root/var/runtime/bin"
  install -m 0755 "$recipe/bootstrap" "$root/var/runtime/bootstrap"
  install -m 0644 "$recipe/bootstrap.py" "$root/var/runtime/bootstrap.py"
  install -m 0755 "$recipe/lambda-entrypoint.sh" "$root/lambda-entrypoint.sh"
  install -m 0755 "$rie" "$root/usr/local/bin/aws-lambda-rie"
  ln -sf /usr/bin/python3.11 "$root/var/lang/bin/python3.11"
  ln -sf python3.11 "$root/var/lang/bin/python3"
  ln -sf python3.11 "$root/var/lang/bin/python"
  # Keep the image small: no docs, manuals, locales, package caches.
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
    "$root"/usr/share/locale/* "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/log/*
' _ "$rootfs" "$recipe" "$stage" "$rie" || { say "could not lay out the root filesystem; skipping"; exit 0; }

changes=(--change 'ENTRYPOINT ["/lambda-entrypoint.sh"]' --change 'WORKDIR /var/task')
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue ;; esac
  changes+=(--change "ENV $line")
done < "$recipe/image.env"

say "docker import"
if ! as_root tar -C "$rootfs" -c . | docker import "${changes[@]}" - "$keyed" >/dev/null; then
  say "docker import failed; skipping"
  exit 0
fi
docker save -o "$tarball.part" "$keyed" && mv "$tarball.part" "$tarball"
# Older recipes' tarballs and build trees are dead weight.
find "$cache/images" -name 'python3.11-*.tar' ! -name "python3.11-$key.tar" -delete
as_root rm -rf "$work"
say "built $keyed in $(( $(date +%s) - start )) s"
finish
