#!/usr/bin/env bash
# Builds examples/c end to end: the C stage, scratchify's scratch stage (with the plugin directory), then runs it.
source "$(dirname "$0")/../lib/common.sh"
cd "$HERE/c"
ensure_builder
"$SCRATCHIFY" /app/bin/greeter --dockerfile Dockerfile --target build --build-network none --include /app/lib/plugins -o Dockerfile.scratch
build_image scratchify-examples/c:scratch Dockerfile.scratch
$DOCKER run --rm --network none scratchify-examples/c:scratch
