#!/usr/bin/env bash
# The runbook's health check: every service's health URL and the frontend of an environment, read
# from deploy.json; exits non-zero at the first that does not answer, naming it.
#   scripts/health-check.sh <environment> [--timeout 5s]
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: scripts/health-check.sh <environment> [--timeout 5s]" >&2; exit 2; }
cd "$(dirname "$0")/.."
env_name=$1
shift
exec npx --no-install nx-deploy health --env "$env_name" "$@"
