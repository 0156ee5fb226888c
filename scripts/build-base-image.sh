#!/bin/sh
# Builds a minimal Node 22 base image for the container tests, where Docker Hub (node:22-slim) is
# unreachable: the workspace's pinned node binary (npm package `node`), the shared libraries ldd
# lists for it, a POSIX shell and the few coreutils a Dockerfile RUN step needs (mkdir, chown, ...),
# /etc/passwd with root and node (uid 1000, as in the official image), /tmp and /home/node.
# Real users keep BASE_IMAGE=node:22-slim; tests pass this image as the BASE_IMAGE build arg.
#
# Usage: scripts/build-base-image.sh [TAG]        default TAG: localhost/pod-node-base:22
#   Uses the containers storage chosen by the caller's CONTAINERS_STORAGE_CONF / CONTAINERS_CONF
#   (see test/support/containers.ts). NODE_BIN=/path/to/node overrides the binary.
#   Prints the image ID on the last line of stdout; exit 1 with a message if anything is missing.
set -eu

tag=${1:-localhost/pod-node-base:22}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
start=$(date +%s%N)
die() { echo "build-base-image: $*" >&2; exit 1; }

is_elf() { [ -f "$1" ] && [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = "177ELF" ]; }

# The real ELF behind node_modules/.bin/node (a symlink chain; never the Node on PATH).
node_bin=""
if [ -n "${NODE_BIN:-}" ]; then
  is_elf "$(readlink -f "$NODE_BIN")" || die "NODE_BIN=$NODE_BIN is not a node executable (ELF) file"
fi
for candidate in ${NODE_BIN:-} "$root/node_modules/.bin/node" "$root/node_modules/node/bin/node" \
  "$root"/node_modules/node-linux-*/bin/node "$root"/node_modules/node/node_modules/node-linux-*/bin/node; do
  [ -e "$candidate" ] || continue
  resolved=$(readlink -f "$candidate")
  if is_elf "$resolved"; then node_bin=$resolved; break; fi
done
[ -n "$node_bin" ] || die "no node ELF binary under $root/node_modules (run npm install in the workspace, or set NODE_BIN)"
version=$("$node_bin" -v) || die "$node_bin does not run on this host"
case "$version" in v22.*) ;; *) die "$node_bin is $version, expected Node 22" ;; esac
command -v buildah >/dev/null || die "buildah is not installed (run scripts/ci/containers.sh)"

work=$(mktemp -d "${TMPDIR:-/tmp}/pod-node-base.XXXXXX")
ctr=""
cleanup() {
  [ -n "$ctr" ] && buildah rm "$ctr" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
rootfs=$work/rootfs

# Merged-/usr layout like Debian 12, so paths printed by ldd (/lib/..., /lib64/...) land in usr/.
mkdir -p "$rootfs/usr/bin" "$rootfs/usr/sbin" "$rootfs/usr/lib" "$rootfs/usr/lib64" "$rootfs/usr/local/bin" \
  "$rootfs/etc" "$rootfs/tmp" "$rootfs/root" "$rootfs/home/node" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/run" "$rootfs/var/tmp"
for d in bin sbin lib lib64; do ln -s "usr/$d" "$rootfs/$d"; done
chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
chmod 700 "$rootfs/root"
chown 1000:1000 "$rootfs/home/node"

# cp (not ln): the rootfs must not share inodes with the workspace, buildah reads it as files.
cp "$node_bin" "$rootfs/usr/local/bin/node"
tools="dash mkdir chown chmod ls cat cp mv rm ln env id sleep true false"
for t in $tools; do
  src=""
  for dir in /usr/bin /bin; do [ -x "$dir/$t" ] && { src=$dir/$t; break; }; done
  [ -n "$src" ] || die "$t not found in /usr/bin or /bin on the host"
  cp -L "$src" "$rootfs/usr/bin/$t"
done
ln -s dash "$rootfs/usr/bin/sh"

# Every shared library (and the loader) at the path ldd prints, following symlinks.
libs=$( { ldd "$node_bin"; for t in $tools; do ldd "$rootfs/usr/bin/$t"; done; } |
  awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
for lib in $libs; do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done

cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
node:x:1000:1000::/home/node:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
node:x:1000:
nogroup:x:65534:
EOF
# glibc 2.36 has files and dns built in; this file only says to use them.
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"

ctr=$(buildah from --pull=never scratch)
buildah copy --quiet "$ctr" "$rootfs/" / >/dev/null
buildah config \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env NODE_VERSION="${version#v}" \
  --label org.opencontainers.image.description="Node ${version#v} test base (pinned node binary + host glibc libs)" \
  --cmd '["node"]' \
  "$ctr"
id=$(buildah commit --quiet --rm "$ctr" "$tag")
ctr=""

ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "build-base-image: $tag (node ${version}) built in $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s" >&2
echo "$id"
