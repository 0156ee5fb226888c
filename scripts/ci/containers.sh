#!/bin/sh
# Installs what the container tests need on Debian 12 (root, no Docker daemon, no Docker Hub):
#   buildah, podman, skopeo  build / run / push images without a daemon
#   runc                     the runtime that works here (crun fails on hybrid cgroups)
#   docker-registry          Distribution v2, the local registry the tests push to
#   apache2-utils            htpasswd -B, for registry basic auth
#   docker (client only)     talks to `podman system service` through DOCKER_HOST
# Idempotent: apt runs only when a command is missing. Daemons are never started here.
# Usage: sh scripts/ci/containers.sh      (exit 0 = everything present; prints the time taken)
set -eu

start=$(date +%s%N)
elapsed() { ms=$(( ($(date +%s%N) - start) / 1000000 )); printf '%d.%03d' $((ms / 1000)) $((ms % 1000)); }

if [ "$(id -u)" -ne 0 ]; then
  echo "containers.sh: must run as root (apt-get install); run it with sudo" >&2
  exit 1
fi

# command -> Debian package
missing=""
for pair in buildah:buildah podman:podman skopeo:skopeo runc:runc docker-registry:docker-registry htpasswd:apache2-utils; do
  cmd=${pair%%:*}
  pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || missing="$missing $pkg"
done

tmp=""
policy_added=""
cleanup() {
  [ -n "$policy_added" ] && rm -f /usr/sbin/policy-rc.d
  [ -n "$tmp" ] && rm -rf "$tmp"
  return 0
}
trap cleanup EXIT

apt_updated=""
apt_update_once() {
  [ -n "$apt_updated" ] && return 0
  apt-get update -qq
  apt_updated=1
}

if [ -n "$missing" ]; then
  echo "containers.sh: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  # docker-registry's postinst would otherwise start a registry on :5000 (all interfaces, with the
  # packaged config) wherever init scripts may run. Tests start their own, on loopback.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    policy_added=1
  fi
  # Try with the lists already on the machine first; refresh them only if that fails.
  if ! apt-get install -y -qq --no-install-recommends $missing >/dev/null; then
    apt_update_once
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
fi

# The docker CLI. These machines ship /usr/local/bin/docker (client 28.x). Elsewhere take only the
# client binary out of Debian's docker.io package: installing docker.io itself would pull in
# containerd and try to start dockerd from its postinst.
if ! command -v docker >/dev/null 2>&1; then
  echo "containers.sh: no docker CLI on PATH; extracting /usr/bin/docker from Debian's docker.io"
  tmp=$(mktemp -d)
  (cd "$tmp" && { apt-get download -qq docker.io 2>/dev/null || { apt_update_once && apt-get download -qq docker.io; }; })
  dpkg-deb --fsys-tarfile "$tmp"/docker.io_*.deb | tar -x -C "$tmp" ./usr/bin/docker
  install -m 0755 "$tmp/usr/bin/docker" /usr/local/bin/docker
fi

# Fail loudly here rather than in the middle of a test.
for cmd in buildah podman skopeo runc docker-registry htpasswd docker; do
  command -v "$cmd" >/dev/null 2>&1 || { echo "containers.sh: $cmd is still missing after install" >&2; exit 1; }
done

echo "containers.sh: podman $(podman --version | awk '{print $3}'), buildah $(buildah --version | awk '{print $3}')," \
  "skopeo $(skopeo --version | awk '{print $3}'), runc $(runc --version | awk 'NR==1{print $3}')," \
  "docker-registry $(docker-registry --version | awk '{print $3}'), docker client $(docker --version | awk '{print $3}' | tr -d ,)"
echo "containers.sh: ready in $(elapsed) s"
