#!/usr/bin/env bash
# Builds examples/nginx end to end: a Debian bookworm base with nginx and five dynamic modules, the scratch
# image scratchify writes for it, then checks the configuration inside it (nginx -t).
source "$(dirname "$0")/../lib/common.sh"
cd "$HERE/nginx"
BASE=scratchify-test/nginx-base:bookworm
ensure_image "$BASE" nginx-bookworm 'nginx,libnginx-mod-http-geoip,libnginx-mod-http-image-filter,libnginx-mod-http-xslt-filter,libnginx-mod-mail,libnginx-mod-stream'
"$SCRATCHIFY" /usr/sbin/nginx --base "$BASE" --expose 80 -o Dockerfile
build_image scratchify-examples/nginx:scratch Dockerfile
$DOCKER run --rm --network none scratchify-examples/nginx:scratch -t
echo "serve it with: $DOCKER run --rm --network host scratchify-examples/nginx:scratch"
