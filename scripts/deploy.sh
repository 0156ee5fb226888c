#!/usr/bin/env bash
# The runbook's deploy: pre-checks (the plan: every step can run), backends then the frontend
# (Nx's deploy graph, each verified after its cut-over), then the health check of everything.
#   scripts/deploy.sh <environment> [nx options, e.g. --approve --lock-wait=10m]
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: scripts/deploy.sh <environment> [nx run-many options]" >&2; exit 2; }
cd "$(dirname "$0")/.."
env_name=$1
shift
if ! plan=$(npx --no-install nx-deploy plan --env "$env_name" 2>&1); then
  echo "$plan" >&2
  echo "deploy.sh: the plan for $env_name has a step that cannot run (marked above); nothing was deployed" >&2
  exit 1
fi
npx --no-install nx run-many -t deploy -c "$env_name" --output-style=stream "$@"
exec scripts/health-check.sh "$env_name"
