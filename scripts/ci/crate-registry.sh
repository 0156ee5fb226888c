#!/usr/bin/env bash
# Installs the real crate registry server that the release e2e tests publish to with `cargo publish`:
# cargo-http-registry, built from crates.io into a fixed root outside CARGO_HOME so CI and every
# developer find it at the same path. Idempotent: skips the build when that version is already there.
#   POD_TEST_TOOLS  install root (default /opt/pod-test-tools); the binary lands in $POD_TEST_TOOLS/bin.
#                   npm test (scripts/provision.mjs) sets it to scripts/provision/tools-dir.mjs's choice.
set -euo pipefail

NAME=cargo-http-registry
VERSION=0.1.8
ROOT=${POD_TEST_TOOLS:-/opt/pod-test-tools}
BIN="$ROOT/bin/$NAME"

if [ -x "$BIN" ] && cargo install --list --root "$ROOT" 2>/dev/null | grep -qx "$NAME v$VERSION:"; then
  echo "$NAME $VERSION already installed at $BIN"
  exit 0
fi

command -v cargo >/dev/null || { echo "crate-registry.sh: cargo is not on PATH; install Rust (rustup) first" >&2; exit 1; }
start=$(date +%s)
# --locked: build with the Cargo.lock shipped in the crate, so CI gets the same dependency versions.
# --debug without debug info: the crate's release profile (fat LTO, one codegen unit) costs ~50% more
# CPU on 2 cores (about 5.5 against 3.7 CPU-minutes; the vendored libgit2 C build is the largest part)
# for a server that only answers a few test requests. Needs a C compiler, pkg-config and libssl-dev
# (openssl-sys); at run time the server and cargo both use the git CLI.
CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_DEV_INCREMENTAL=false \
  cargo install --locked --quiet --debug --root "$ROOT" "$NAME@$VERSION"
echo "installed $NAME $VERSION at $BIN in $(( $(date +%s) - start )) s"
