#!/usr/bin/env bash
# Builds examples/go end to end: the builder image, the Go stage, scratchify's scratch stage, then runs it.
source "$(dirname "$0")/../lib/common.sh"
cd "$HERE/go"
ensure_builder
"$SCRATCHIFY" /app/hello --dockerfile Dockerfile --target build --build-network none -o Dockerfile.scratch
build_image scratchify-examples/go:scratch Dockerfile.scratch
$DOCKER run --rm --network none scratchify-examples/go:scratch
