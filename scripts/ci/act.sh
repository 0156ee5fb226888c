#!/usr/bin/env bash
# Installs act (nektos/act), a GitHub Actions engine, for the test that runs .github/workflows/deploy.yml
# on this machine as the runner: built from the Go module proxy into the test tools folder.
# Idempotent: skips the build when that version is there.
#   POD_TEST_TOOLS  install root (default /opt/pod-test-tools); the binary lands in $POD_TEST_TOOLS/bin
set -euo pipefail

VERSION=v0.2.89
ROOT=${POD_TEST_TOOLS:-/opt/pod-test-tools}
BIN="$ROOT/bin/act"
GO=$(command -v go || echo /usr/local/go/bin/go)
[ -x "$GO" ] || { echo "act.sh: Go is not installed (not on PATH, not /usr/local/go); install Go 1.24 or newer (https://go.dev/dl)" >&2; exit 1; }

if [ -x "$BIN" ] && "$GO" version -m "$BIN" 2>/dev/null | grep -q "github.com/nektos/act[[:space:]]*$VERSION"; then
  echo "act $VERSION already installed at $BIN"
  exit 0
fi
start=$(date +%s)
GOBIN="$ROOT/bin" GOFLAGS=-trimpath "$GO" install -ldflags="-s -w" "github.com/nektos/act@$VERSION"
echo "installed act $VERSION at $BIN in $(( $(date +%s) - start )) s"
