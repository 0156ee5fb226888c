#!/usr/bin/env bash
# Installs versitygw, a real S3-compatible server that honours conditional writes (If-None-Match,
# If-Match), which the state store tests run on loopback: built from the Go module proxy into the
# test tools folder, like the crate registry. Idempotent: skips the build when that version is there.
#   POD_TEST_TOOLS  install root (default /opt/pod-test-tools); the binary lands in $POD_TEST_TOOLS/bin
set -euo pipefail

VERSION=v1.8.0
ROOT=${POD_TEST_TOOLS:-/opt/pod-test-tools}
BIN="$ROOT/bin/versitygw"

if [ -x "$BIN" ] && go version -m "$BIN" 2>/dev/null | grep -q "github.com/versity/versitygw[[:space:]]*$VERSION"; then
  echo "versitygw $VERSION already installed at $BIN"
  exit 0
fi

command -v go >/dev/null || { echo "versitygw.sh: go is not on PATH; install Go (https://go.dev/dl) first" >&2; exit 1; }
start=$(date +%s)
# -s -w: no symbol tables, a smaller binary and a shorter link on 2 cores; the server is only tested against.
GOBIN="$ROOT/bin" GOFLAGS=-trimpath go install -ldflags="-s -w" "github.com/versity/versitygw/cmd/versitygw@$VERSION"
echo "installed versitygw $VERSION at $BIN in $(( $(date +%s) - start )) s"
