#!/usr/bin/env bash
# Installs mailpit, a real SMTP server with an HTTP API to read back what it received, which the
# alert notification tests send e-mail to on loopback: built from the Go module proxy into the test
# tools folder, like versitygw. Idempotent: skips the build when that version is there.
#   POD_TEST_TOOLS  install root (default /opt/pod-test-tools); the binary lands in $POD_TEST_TOOLS/bin
set -euo pipefail

VERSION=v1.33.1
ROOT=${POD_TEST_TOOLS:-/opt/pod-test-tools}
BIN="$ROOT/bin/mailpit"

# Go from PATH, else where the official tarball installs it (these machines have it there).
GO=$(command -v go || echo /usr/local/go/bin/go)
[ -x "$GO" ] || { echo "mailpit.sh: Go is not installed (not on PATH, not /usr/local/go); install Go 1.24 or newer (https://go.dev/dl)" >&2; exit 1; }

if [ -x "$BIN" ] && "$GO" version -m "$BIN" 2>/dev/null | grep -q "github.com/axllent/mailpit[[:space:]]*$VERSION"; then
  echo "mailpit $VERSION already installed at $BIN"
  exit 0
fi

start=$(date +%s)
# -s -w: no symbol tables, a smaller binary and a shorter link on 2 cores; the server is only tested against.
GOBIN="$ROOT/bin" GOFLAGS=-trimpath "$GO" install -ldflags="-s -w" "github.com/axllent/mailpit@$VERSION"
echo "installed mailpit $VERSION at $BIN in $(( $(date +%s) - start )) s"
