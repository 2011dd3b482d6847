#!/usr/bin/env bash
# scratchify as an image, cut by scratchify itself. A bookworm image holding this machine's Node.js and this
# checkout's scratchify is the base; scratchify writes the scratch image of node with /opt/scratchify included
# (the base's ENTRYPOINT, node run.js, is kept),
# builds it as TAG (default scratchify:latest), and verify proves it answers as the full image does.
source "$(dirname "$0")/../lib/common.sh"
cd "$HERE/self"
tag=${1:-scratchify:latest}
full=scratchify-examples/self:full
ensure_image scratchify-examples/in-builder:bookworm examples-in-builder 'nginx,gcc,libc6-dev,libstdc++6'
rm -rf ctx && mkdir -p ctx/scratchify
cp -r "$REPO/bin" "$REPO/dist" "$REPO/templates" "$REPO/package.json" ctx/scratchify/
cp scratchify-from-root ctx/scratchify/bin/
cp "$(readlink -f "$(command -v node)")" ctx/node
(cd ctx && build_image "$full" ../Dockerfile.full)
"$SCRATCHIFY" /usr/local/bin/node --base "$full" --include /opt/scratchify -o ctx/Dockerfile
(cd ctx && build_image "$tag" Dockerfile)
# The same jobs in the full image and the scratch one: resolve and why, on its own node.
"$SCRATCHIFY" verify /usr/local/bin/node --base "$full" --include /opt/scratchify \
  --smoke 'resolve /usr/local/bin/node --format list' --smoke 'why libstdc++.so.6 /usr/local/bin/node'
$DOCKER image inspect --format "$tag: {{.Size}} bytes" "$tag"
$DOCKER image inspect --format "$full: {{.Size}} bytes" "$full"
rm -rf ctx
