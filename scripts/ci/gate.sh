#!/usr/bin/env bash
# scripts/ci/gate.sh PERCENT PROJECT REGION BAKE_SECONDS MAX_RATIO — the error-rate gate after a traffic
# step: skipped when an earlier gate failed; otherwise waits BAKE_SECONDS, reads the canary revision's 5xx
# share (scripts/ci/error-rate.ts) and records a failure for the rollback step when it is too high.
set -euo pipefail
percent="${1:?percent}" project="${2:?project}" region="${3:?region}" bake="${4:?bake seconds}" max="${5:?max ratio}"
if [[ -f .rollout/failed ]]; then echo "skipped: $(cat .rollout/failed)"; exit 0; fi
node --import tsx scripts/ci/error-rate.ts --project "$project" --region "$region" --service orchestrator \
  --revision "$(cat .rollout/canary)" --bake-seconds "$bake" --window-seconds "$bake" --max-ratio "$max" \
  || bash scripts/ci/rollout-mark.sh "error rate of the canary above ${max} at ${percent} % traffic"
