#!/usr/bin/env bash
# Installs actionlint, the linter of GitHub Actions workflows (it also knows every expression,
# context and runner label GitHub documents), which the workflow test runs on .github/workflows:
# built from the Go module proxy into the test tools folder, like mailpit. Idempotent.
#   POD_TEST_TOOLS  install root (default /opt/pod-test-tools); the binary lands in $POD_TEST_TOOLS/bin
set -euo pipefail

VERSION=v1.7.12
ROOT=${POD_TEST_TOOLS:-/opt/pod-test-tools}
BIN="$ROOT/bin/actionlint"

GO=$(command -v go || echo /usr/local/go/bin/go)
[ -x "$GO" ] || { echo "actionlint.sh: Go is not installed (not on PATH, not /usr/local/go); install Go 1.24 or newer (https://go.dev/dl)" >&2; exit 1; }

if [ -x "$BIN" ] && "$GO" version -m "$BIN" 2>/dev/null | grep -q "github.com/rhysd/actionlint[[:space:]]*$VERSION"; then
  echo "actionlint $VERSION already installed at $BIN"
  exit 0
fi

start=$(date +%s)
GOBIN="$ROOT/bin" GOFLAGS=-trimpath "$GO" install -ldflags="-s -w" "github.com/rhysd/actionlint/cmd/actionlint@$VERSION"
echo "installed actionlint $VERSION at $BIN in $(( $(date +%s) - start )) s"
