#!/usr/bin/env bash
# Installs versitygw, a real S3-compatible server that honours conditional writes (If-None-Match,
# If-Match), which the state store tests run on loopback: built from the Go module proxy into the
# test tools folder, like the crate registry. Idempotent: skips the build when that version is there.
#   POD_TEST_TOOLS  install root (default /opt/pod-test-tools); the binary lands in $POD_TEST_TOOLS/bin
set -euo pipefail

VERSION=v1.8.0
ROOT=${POD_TEST_TOOLS:-/opt/pod-test-tools}
BIN="$ROOT/bin/versitygw"

# Go from PATH, else where the official tarball installs it (these machines have it there).
GO=$(command -v go || echo /usr/local/go/bin/go)
[ -x "$GO" ] || { echo "versitygw.sh: Go is not installed (not on PATH, not /usr/local/go); install Go 1.24 or newer (https://go.dev/dl)" >&2; exit 1; }

if [ -x "$BIN" ] && "$GO" version -m "$BIN" 2>/dev/null | grep -q "github.com/versity/versitygw[[:space:]]*$VERSION"; then
  echo "versitygw $VERSION already installed at $BIN"
  exit 0
fi

start=$(date +%s)
# -s -w: no symbol tables, a smaller binary and a shorter link on 2 cores; the server is only tested against.
GOBIN="$ROOT/bin" GOFLAGS=-trimpath "$GO" install -ldflags="-s -w" "github.com/versity/versitygw/cmd/versitygw@$VERSION"
echo "installed versitygw $VERSION at $BIN in $(( $(date +%s) - start )) s"
