-- Up Migration
-- One row per inference call (cache hits included), written in the same transaction as its
-- inference.completed / inference.failed event and its settled cost.
CREATE TABLE ai_calls (
  call_id          uuid PRIMARY KEY,
  tenant_id        text NOT NULL,
  capability       text NOT NULL,
  -- 'invoke' | 'chat' | 'embeddings' | 'async'
  channel          text NOT NULL,
  status           text NOT NULL CHECK (status IN ('completed', 'failed')),
  error_code       text,
  provider         text,
  model            text,
  degraded         boolean NOT NULL DEFAULT false,
  cache_hit        boolean NOT NULL DEFAULT false,
  input_tokens     integer NOT NULL DEFAULT 0,
  output_tokens    integer NOT NULL DEFAULT 0,
  cost_micros      bigint NOT NULL DEFAULT 0,
  latency_ms       integer NOT NULL,
  -- sha256 of the canonical input: lets a call be correlated without storing the prompt or PII.
  input_hash       text NOT NULL,
  idempotency_key  text,
  correlation_id   text,
  attempts         jsonb NOT NULL DEFAULT '[]',
  -- HITL capabilities: the draft waits for review ('pending') until the review flow decides it.
  hitl_status      text,
  output           jsonb,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ai_calls_tenant_created_idx ON ai_calls (tenant_id, created_at DESC);
CREATE INDEX ai_calls_tenant_capability_idx ON ai_calls (tenant_id, capability, created_at DESC);
