# Shared by the examples' build scripts: the docker client with BuildKit, the Debian mirror, and builder
# images made from Debian packages with mmdebstrap (cached outside the repository).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$HERE/.." && pwd)
SCRATCHIFY=${SCRATCHIFY:-"$REPO/bin/run.js"}
if [ -z "${DOCKER:-}" ]; then
  if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
fi
export DOCKER_BUILDKIT=1
CACHE=${SCRATCHIFY_TEST_CACHE:-"$HOME/.cache/scratchify-test"}
mkdir -p "$CACHE"

mirror() {
  local f=/etc/apt/sources.list.d/debian.sources
  if [ -f "$f" ]; then awk '/^URIs:/ {print $2; exit}' "$f"; else awk '/^deb / {print $2; exit}' /etc/apt/sources.list; fi
}

# ensure_image REF NAME PACKAGES: import a bookworm root with PACKAGES as REF unless the engine has it.
ensure_image() {
  local ref=$1 name=$2 packages=$3
  if ! $DOCKER image inspect "$ref" >/dev/null 2>&1; then
    local tar="$CACHE/$name.tar"
    if [ ! -f "$tar" ]; then
      mmdebstrap --variant=apt --include="$packages" bookworm "$CACHE/$name.partial.tar" "$(mirror)"
      mv "$CACHE/$name.partial.tar" "$tar"
    fi
    $DOCKER import "$tar" "$ref" >/dev/null
  fi
}

BUILDER=scratchify-examples/builder:bookworm-v2
ensure_builder() { ensure_image "$BUILDER" examples-builder-v2 'golang-go,gcc,libc6-dev,zlib1g-dev,ca-certificates,strace'; }

# build_image TAG DOCKERFILE: docker build, once (a build that fails only sometimes is a bug to report).
build_image() {
  local tag=$1 file=$2
  $DOCKER build --network none -q -f "$file" -t "$tag" . >/dev/null
}
