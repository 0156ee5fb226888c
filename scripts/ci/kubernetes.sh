#!/usr/bin/env bash
# Builds a whole single-node Kubernetes for the roll-out tests (notes section 13): etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and a real kubelet from the Go module proxy, crictl (removes
# the pods' sandboxes on stop, so CNI addresses and network namespaces are released), and the pause
# image's static binary from the kubernetes source's pause.c. containerd, runc and the CNI plugins
# come from apt (tools.mjs). Idempotent: skips every binary already there.
#   POD_TEST_TOOLS  install root (default /opt/pod-test-tools); lands in $POD_TEST_TOOLS/kubernetes-$VERSION
set -euo pipefail

VERSION=v1.34.4      # k8s.io/kubernetes; its staging modules are published as v0.34.x
STAGING=v0.34.4
ETCD=v3.6.13
CRICTL=v1.34.0
ROOT=${POD_TEST_TOOLS:-/opt/pod-test-tools}
DIR="$ROOT/kubernetes-$VERSION"
BIN="$DIR/bin"

GO=$(command -v go || echo /usr/local/go/bin/go)
[ -x "$GO" ] || { echo "kubernetes.sh: Go is not installed (not on PATH, not /usr/local/go); install Go 1.24 or newer (https://go.dev/dl)" >&2; exit 1; }
command -v cc >/dev/null || { echo "kubernetes.sh: no C compiler (cc) to build the pause binary; apt-get install gcc libc6-dev" >&2; exit 1; }

all=(kubelet kube-apiserver kube-controller-manager kube-scheduler etcd crictl pause)
missing=()
for b in "${all[@]}"; do [ -x "$BIN/$b" ] || missing+=("$b"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "kubernetes $VERSION already installed at $BIN"
  exit 0
fi

export GOWORK=off GOFLAGS=-mod=mod
src="$DIR/src"
mkdir -p "$BIN" "$src"
start=$(date +%s)
took() { echo "  $1: $(( $(date +%s) - $2 )) s"; }

# The module zips hold the source without its staging/ folders: each `=> ./staging/...` (etcd:
# `=> ../...`) replace becomes the published module of the same release.
module_copy() { # module@version dest pattern replacement-version
  [ -d "$2" ] && return 0
  local dir
  dir=$("$GO" mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$dir" ] || { echo "kubernetes.sh: go mod download gave no source folder for $1" >&2; exit 1; }
  cp -r "$dir" "$2.tmp" && chmod -R u+w "$2.tmp"
  (cd "$2.tmp" && for m in $(grep "$3" go.mod | awk '{print $1}'); do "$GO" mod edit -replace "$m=$m@$4"; done)
  mv "$2.tmp" "$2"
}

needs() { [[ " ${missing[*]} " == *" $1 "* ]]; }

if needs kubelet || needs kube-apiserver || needs kube-controller-manager || needs kube-scheduler || needs pause; then
  module_copy "k8s.io/kubernetes@$VERSION" "$src/kubernetes" '=> ./staging' "$STAGING"
fi
# -s -w: smaller binaries and shorter links; the version stamp lets kubectl parse the server's version.
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$VERSION"
for c in kubelet kube-apiserver kube-controller-manager kube-scheduler; do
  needs "$c" || continue
  t=$(date +%s)
  (cd "$src/kubernetes" && "$GO" build -trimpath -ldflags "$ldflags" -o "$BIN/$c.tmp" "./cmd/$c") && mv "$BIN/$c.tmp" "$BIN/$c"
  took "$c" "$t"
done
if needs pause; then
  cc -Os -static -DVERSION=v3.10-pod-test -o "$BIN/pause" "$src/kubernetes/build/pause/linux/pause.c"
fi
if needs etcd; then
  module_copy "go.etcd.io/etcd/server/v3@$ETCD" "$src/etcd" '=> \.\./' "$ETCD"
  t=$(date +%s)
  (cd "$src/etcd" && "$GO" build -trimpath -ldflags "-s -w" -o "$BIN/etcd.tmp" .) && mv "$BIN/etcd.tmp" "$BIN/etcd"
  took etcd "$t"
fi
if needs crictl; then
  t=$(date +%s)
  GOBIN="$BIN" GOFLAGS=-trimpath "$GO" install -ldflags "-s -w" "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL"
  took crictl "$t"
fi
# The sources are only needed to build: 1 GB less on disk.
rm -rf "$src"
echo "installed kubernetes $VERSION at $BIN in $(( $(date +%s) - start )) s"
