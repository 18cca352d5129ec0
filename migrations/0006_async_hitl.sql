-- Up Migration
-- Async inference (Pub/Sub push commands) and human review (HITL) tasks.

-- One row per Pub/Sub message that got its final answer: written in the same transaction as the
-- result event (inference.completed / inference.failed), so a redelivery finding its row answers 2xx at once.
CREATE TABLE processed_messages (
  message_id       text PRIMARY KEY,
  subscription     text,
  -- NULL for a poison message whose tenant or request id could not be read.
  tenant_id        text,
  request_id       text,
  -- 'completed' | 'failed' | 'poison' | 'duplicate'
  outcome          text NOT NULL,
  result_event_id  uuid,
  delivery_attempt integer,
  processed_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX processed_messages_processed_idx ON processed_messages (processed_at);

-- One row per async command (tenant, request_id): the claim that keeps a redelivered or re-published
-- command from running twice. A claim holds for a lease; a claimant that crashed frees it when the lease
-- ends, so a redelivery takes over instead of the request staying stuck. 'running' until the result event
-- is written, in the same transaction, as 'completed' or 'failed'.
CREATE TABLE inference_requests (
  tenant_id      text NOT NULL,
  request_id     text NOT NULL,
  -- sha256 of the canonical { capability, input }: the same request_id with another body is refused.
  request_hash   text NOT NULL,
  capability     text NOT NULL,
  message_id     text NOT NULL,
  status         text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
  claim_token    uuid,
  claimed_until  timestamptz,
  claims         integer NOT NULL DEFAULT 1,
  call_id        uuid,
  correlation_id text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz,
  PRIMARY KEY (tenant_id, request_id)
);

-- Review tasks: a draft of a `hitl: true` capability waits here for a reviewer of its tenant.
CREATE TABLE hitl_tasks (
  task_id        uuid PRIMARY KEY,
  tenant_id      text NOT NULL,
  capability     text NOT NULL,
  call_id        uuid NOT NULL,
  status         text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
  draft          jsonb NOT NULL,
  -- The released output: the draft, or the reviewer's edit; NULL while pending and when rejected or expired.
  final_output   jsonb,
  edited         boolean NOT NULL DEFAULT false,
  reason         text,
  correlation_id text,
  created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  expires_at     timestamptz NOT NULL,
  decided_by     text,
  decided_at     timestamptz
);
-- Listing: newest first with (created_at, task_id) as the stable cursor, optionally by status.
CREATE INDEX hitl_tasks_tenant_created_idx ON hitl_tasks (tenant_id, created_at DESC, task_id DESC);
CREATE INDEX hitl_tasks_tenant_status_idx ON hitl_tasks (tenant_id, status, created_at DESC, task_id DESC);
-- The expiry sweeper's scan.
CREATE INDEX hitl_tasks_pending_expiry_idx ON hitl_tasks (expires_at) WHERE status = 'pending';

-- Every decision (and expiry): who, when, and what changed between the draft and the final output.
CREATE TABLE hitl_audit (
  id            bigserial PRIMARY KEY,
  task_id       uuid NOT NULL REFERENCES hitl_tasks (task_id),
  tenant_id     text NOT NULL,
  action        text NOT NULL CHECK (action IN ('approved', 'rejected', 'expired')),
  actor         text NOT NULL,
  at            timestamptz NOT NULL DEFAULT clock_timestamp(),
  draft         jsonb NOT NULL,
  final_output  jsonb,
  -- JSON Pointers of the fields the reviewer changed (empty when approved as drafted).
  changes       jsonb NOT NULL DEFAULT '[]',
  reason        text
);
CREATE INDEX hitl_audit_task_idx ON hitl_audit (task_id, id);
