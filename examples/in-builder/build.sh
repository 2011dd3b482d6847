#!/usr/bin/env bash
# Builds examples/in-builder: scratchify runs inside the builder stage (installed from this checkout, with this
# machine's Node 20 binary, since no registry image of scratchify exists) and the final stage copies /out/.
source "$(dirname "$0")/../lib/common.sh"
cd "$HERE/in-builder"
ensure_image scratchify-examples/in-builder:bookworm examples-in-builder 'nginx,gcc,libc6-dev,libstdc++6'
rm -rf scratchify && mkdir scratchify
cp -r "$REPO/bin" "$REPO/dist" "$REPO/templates" "$REPO/package.json" scratchify/
cp "$(readlink -f "$(command -v node)")" scratchify/node
build_image scratchify-examples/in-builder-nginx:scratch Dockerfile.nginx
build_image scratchify-examples/in-builder-c:scratch Dockerfile.c
$DOCKER run --rm --network none scratchify-examples/in-builder-nginx:scratch -t
$DOCKER run --rm --network none scratchify-examples/in-builder-c:scratch
echo "serve it with: $DOCKER run --rm --network host scratchify-examples/in-builder-nginx:scratch  (port 8081)"
