#!/usr/bin/env bash
# scripts/ci/rollout-mark.sh REASON — records a failed rollout gate in .rollout/failed (the first reason
# wins), for steps that run outside the cloud-sdk image. The build goes on to the rollback step.
set -euo pipefail
mkdir -p .rollout
[[ -f .rollout/failed ]] || echo "${1:?reason}" > .rollout/failed
echo "rollout failed: $(cat .rollout/failed)" >&2
