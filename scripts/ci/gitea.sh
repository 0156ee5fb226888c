#!/usr/bin/env bash
# Installs Gitea, a real forge whose API answers GitHub's release and tag calls under /api/v1, for the
# release tests (tags pushed over HTTP, releases created through the GitHub REST API): built from the Go module
# proxy into the test tools folder. v1.26.0: v1.27 does not build here (a dependency is refused by
# the proxy). Without the `bindata` tag Gitea reads its templates and locales from its source
# folder, so the source stays beside the binary. Idempotent: skips the build when that version is there.
#   POD_TEST_TOOLS  install root (default /opt/pod-test-tools); lands in $POD_TEST_TOOLS/gitea-$VERSION
set -euo pipefail

VERSION=v1.26.0
ROOT=${POD_TEST_TOOLS:-/opt/pod-test-tools}
DIR="$ROOT/gitea-$VERSION"

GO=$(command -v go || echo /usr/local/go/bin/go)
[ -x "$GO" ] || { echo "gitea.sh: Go is not installed (not on PATH, not /usr/local/go); install Go 1.24 or newer (https://go.dev/dl)" >&2; exit 1; }

if [ -x "$DIR/gitea" ]; then
  echo "gitea $VERSION already installed at $DIR/gitea"
  exit 0
fi

start=$(date +%s)
module=$("$GO" mod download -json "code.gitea.io/gitea@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$module" ] || { echo "gitea.sh: go mod download gave no source folder for code.gitea.io/gitea@$VERSION" >&2; exit 1; }
work="$DIR.tmp"
rm -rf "$work"
cp -r "$module" "$work"
chmod -R u+w "$work"
# The module cache is read-only: the build works in a copy, which then stays as the static files' root.
(cd "$work" && GOWORK=off GOFLAGS=-trimpath "$GO" build -tags 'sqlite sqlite_unlock_notify' -ldflags="-s -w" -o gitea .)
mv "$work" "$DIR"
echo "installed gitea $VERSION at $DIR/gitea in $(( $(date +%s) - start )) s"
