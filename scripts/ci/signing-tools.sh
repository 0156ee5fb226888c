#!/usr/bin/env bash
# Installs cosign (signs and verifies image digests, attaches attestations) and syft (the SBOM of an
# image), which build-image runs when deploy.json sets containers.signing: both built from the Go
# module proxy into the test tools folder, at the same time (each spends minutes downloading and
# compiling; together they take about as long as the slower one). Idempotent: skips what is there.
#   POD_TEST_TOOLS  install root (default /opt/pod-test-tools); binaries land in $POD_TEST_TOOLS/bin
set -euo pipefail

ROOT=${POD_TEST_TOOLS:-/opt/pod-test-tools}
GO=$(command -v go || echo /usr/local/go/bin/go)
[ -x "$GO" ] || { echo "signing-tools.sh: Go is not installed (not on PATH, not /usr/local/go); install Go 1.24 or newer (https://go.dev/dl)" >&2; exit 1; }

# name module-of-the-binary package@version
build() {
  local bin="$ROOT/bin/$1" module=$2 pkg=$3
  local version=${pkg##*@}
  if [ -x "$bin" ] && "$GO" version -m "$bin" 2>/dev/null | grep -q "$module[[:space:]]*$version"; then
    echo "$1 $version already installed at $bin"
    return 0
  fi
  local start
  start=$(date +%s)
  # The flags deploy.yml's own `go install` uses (none): the act test runs that step, which then
  # finds every package compiled in Go's build cache and only links.
  GOBIN="$ROOT/bin" "$GO" install "$pkg"
  echo "installed $1 $version at $bin in $(( $(date +%s) - start )) s"
}

build cosign github.com/sigstore/cosign/v2 github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5 &
cosign=$!
build syft github.com/anchore/syft github.com/anchore/syft/cmd/syft@v1.57.2 &
syft=$!
status=0
wait $cosign || { echo "signing-tools.sh: building cosign failed" >&2; status=1; }
wait $syft || { echo "signing-tools.sh: building syft failed" >&2; status=1; }
exit $status
