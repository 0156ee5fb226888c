#!/usr/bin/env bash
# The Nx fixture workspaces of the adoption tests: see nx-fixtures.mjs (npm ci from their lock files, needs the npm registry).
set -euo pipefail
exec node "$(dirname "$0")/nx-fixtures.mjs"
