#!/usr/bin/env bash
# Installs gitleaks, the secrets scanner the predeploy `secrets` check runs over what a deploy
# ships, which the predeploy tests plant a key for: built from the Go module proxy into the test
# tools folder, like mailpit. Idempotent: skips the build when that version is there.
#   POD_TEST_TOOLS  install root (default /opt/pod-test-tools); the binary lands in $POD_TEST_TOOLS/bin
set -euo pipefail

VERSION=v8.30.1
ROOT=${POD_TEST_TOOLS:-/opt/pod-test-tools}
BIN="$ROOT/bin/gitleaks"

GO=$(command -v go || echo /usr/local/go/bin/go)
[ -x "$GO" ] || { echo "gitleaks.sh: Go is not installed (not on PATH, not /usr/local/go); install Go 1.24 or newer (https://go.dev/dl)" >&2; exit 1; }

if [ -x "$BIN" ] && "$GO" version -m "$BIN" 2>/dev/null | grep -q "github.com/zricethezav/gitleaks/v8[[:space:]]*$VERSION"; then
  echo "gitleaks $VERSION already installed at $BIN"
  exit 0
fi

start=$(date +%s)
# The flags deploy.yml's own `go install` uses (none): the act test runs that step, which then only links.
GOBIN="$ROOT/bin" "$GO" install "github.com/zricethezav/gitleaks/v8@$VERSION"
echo "installed gitleaks $VERSION at $BIN in $(( $(date +%s) - start )) s"
