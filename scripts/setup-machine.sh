#!/usr/bin/env bash
# Installs what scratchify's tests need from Debian packages and starts a Docker engine that works on
# hosts without CAP_SYS_RESOURCE or iptables (docs/development.md says why). Idempotent; run as root.
set -euo pipefail

packages=(docker.io podman runc strace mmdebstrap pax-utils python3-pyelftools libtree musl-tools gcc gcc-multilib binutils golang-go curl tzdata ca-certificates qemu-user-static binfmt-support docker-registry skopeo umoci apache2-utils)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Other architectures: qemu-user through binfmt_misc, registered with the F flag so containers of them run here.
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc; fi
update-binfmts --enable >/dev/null 2>&1 || true

mkdir -p /etc/docker
if [ ! -f /etc/docker/daemon.json ]; then
  cat > /etc/docker/daemon.json <<'JSON'
{ "iptables": false, "bridge": "none",
  "default-ulimits": { "nofile": {"Name":"nofile","Soft":1024,"Hard":1024},
                       "nproc":  {"Name":"nproc","Soft":1024,"Hard":1024} } }
JSON
fi
# Podman reads the same limits, and runc (crun cannot run here), from containers.conf.
mkdir -p /etc/containers
if [ ! -f /etc/containers/containers.conf ]; then
  cat > /etc/containers/containers.conf <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
CONF
fi
if ! /usr/bin/docker info >/dev/null 2>&1; then
  setsid /usr/sbin/dockerd >/tmp/dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 60); do /usr/bin/docker info >/dev/null 2>&1 && break; sleep 1; done
  /usr/bin/docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /tmp/dockerd.log" >&2; tail -20 /tmp/dockerd.log >&2; exit 1; }
fi
echo "engine ready: docker $(/usr/bin/docker version --format '{{.Server.Version}}'), $(podman --version)"
