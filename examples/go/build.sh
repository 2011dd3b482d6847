#!/usr/bin/env bash
# Builds examples/go end to end: the builder image, the Go stage, scratchify's scratch stage, then runs it.
source "$(dirname "$0")/../lib/common.sh"
cd "$HERE/go"
ensure_builder
"$SCRATCHIFY" /app/hello --dockerfile Dockerfile --target build --build-network none -o Dockerfile.scratch
$DOCKER build --network none -q -f Dockerfile.scratch -t scratchify-examples/go:scratch . >/dev/null
$DOCKER run --rm --network none scratchify-examples/go:scratch
