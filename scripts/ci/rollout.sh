#!/usr/bin/env bash
# scripts/ci/rollout.sh — the gcloud side of the release in cloudbuild.yaml (runs in the cloud-sdk image).
#
#   rollout.sh update-job JOB IMAGE        point a Cloud Run job at the new image
#   rollout.sh run-job JOB                 execute a job and wait for it (fails the build if it fails)
#   rollout.sh record-stable               remember the revision serving traffic now (the rollback target)
#   rollout.sh deploy-canary IMAGE         deploy IMAGE as a new revision with no traffic, tagged `canary`
#   rollout.sh shift PERCENT               send PERCENT % to the canary, the rest to the stable revision
#   rollout.sh mark-failed REASON          record that a gate failed (later shifts are skipped)
#   rollout.sh rollback-if-failed          if a gate failed: 100 % back to the stable revision, exit 1
#   rollout.sh deploy-service NAME IMAGE   deploy a service straight to 100 % (the internal signer)
#
# State lives in .rollout/ of the build's /workspace, shared by the steps. Needs REGION; SERVICE defaults
# to orchestrator.
set -euo pipefail

REGION="${REGION:?REGION is required}"
SERVICE="${SERVICE:-orchestrator}"
STATE=.rollout
CANARY_TAG=canary
mkdir -p "$STATE"

failed() { [[ -f "$STATE/failed" ]]; }

# One line per traffic target: revision,percent,tag,latestRevision,latestReadyRevisionName.
traffic_rows() {
  gcloud run services describe "$SERVICE" --region "$REGION" --flatten=status.traffic \
    --format='csv[no-heading](status.traffic.revisionName,status.traffic.percent,status.traffic.tag,status.traffic.latestRevision,status.latestReadyRevisionName)'
}

# Prints the revision that gets the most traffic now (empty for a service that never served).
serving_revision() {
  traffic_rows | awk -F, '{ rev = $1; if (rev == "" && tolower($4) == "true") rev = $5; if ($2 + 0 > best) { best = $2 + 0; name = rev } } END { print name }'
}

# Prints the revision carrying the canary tag.
canary_revision() {
  traffic_rows | awk -F, -v tag="$CANARY_TAG" '$3 == tag { print $1; exit }'
}

cmd="${1:-}"
case "$cmd" in
  update-job)
    gcloud run jobs update "${2:?job}" --image "${3:?image}" --region "$REGION" --quiet
    ;;
  run-job)
    gcloud run jobs execute "${2:?job}" --region "$REGION" --wait --quiet
    ;;
  record-stable)
    serving_revision > "$STATE/stable"
    echo "stable revision: $(cat "$STATE/stable")"
    ;;
  deploy-canary)
    # Only the image changes; environment, identity, sizes and probes stay as infra/ set them.
    gcloud run deploy "$SERVICE" --image "${2:?image}" --region "$REGION" --no-traffic --tag "$CANARY_TAG" --quiet
    canary_revision > "$STATE/canary"
    [[ -s "$STATE/canary" ]] || { echo "no revision carries the tag $CANARY_TAG after the deploy" >&2; exit 1; }
    echo "canary revision: $(cat "$STATE/canary")"
    ;;
  shift)
    percent="${2:?percent}"
    if failed; then echo "skipped: $(cat "$STATE/failed")"; exit 0; fi
    canary="$(cat "$STATE/canary")"
    stable="$(cat "$STATE/stable")"
    if [[ "$percent" == 100 || -z "$stable" || "$stable" == "$canary" ]]; then
      split="$canary=100"
    else
      split="$canary=$percent,$stable=$((100 - percent))"
    fi
    gcloud run services update-traffic "$SERVICE" --region "$REGION" --to-revisions "$split" --quiet
    echo "traffic: $split"
    ;;
  mark-failed)
    failed || echo "${2:?reason}" > "$STATE/failed"
    echo "rollout failed: $(cat "$STATE/failed")" >&2
    ;;
  rollback-if-failed)
    if ! failed; then echo "rollout complete: $(cat "$STATE/canary") serves 100 %"; exit 0; fi
    stable="$(cat "$STATE/stable")"
    echo "rolling back ($(cat "$STATE/failed"))" >&2
    if [[ -n "$stable" ]]; then
      gcloud run services update-traffic "$SERVICE" --region "$REGION" --to-revisions "$stable=100" --quiet
      echo "traffic: $stable=100 (rolled back)" >&2
    else
      echo "no earlier revision to roll back to; the canary never received traffic above its failed gate" >&2
    fi
    exit 1
    ;;
  deploy-service)
    gcloud run deploy "${2:?service}" --image "${3:?image}" --region "$REGION" --quiet
    ;;
  *)
    sed -n '2,16p' "$0" >&2
    exit 64
    ;;
esac
