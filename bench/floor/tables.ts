/**
 * The floor gateway's tables (gateway-process.ts), in a schema of their own in the bench's database: a call
 * row shaped like ai_calls' main columns, an outbox event per call, and a spend row per tenant and day.
 * Created by the floor gateway at start, dropped by the bench at the end.
 */
export const FLOOR_SCHEMA = 'bench_floor';

export const floorTables = {
  create: `
CREATE SCHEMA IF NOT EXISTS ${FLOOR_SCHEMA};
CREATE TABLE IF NOT EXISTS ${FLOOR_SCHEMA}.calls (
  call_id uuid PRIMARY KEY, tenant_id text NOT NULL, capability text NOT NULL, provider text NOT NULL, model text NOT NULL,
  input_tokens integer NOT NULL, output_tokens integer NOT NULL, cost_micros bigint NOT NULL, latency_ms real NOT NULL,
  output jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS ${FLOOR_SCHEMA}.events (
  event_id uuid PRIMARY KEY, topic text NOT NULL, payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS ${FLOOR_SCHEMA}.spend (
  tenant_id text NOT NULL, day date NOT NULL, spent_micros bigint NOT NULL, PRIMARY KEY (tenant_id, day));`,

  /** $1: the calls as a JSON array; $2, $3: tenants and the micro-dollars each spent in the batch. One statement, so one transaction. */
  insertBatch: `
WITH rows AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(call_id uuid, tenant_id text, capability text, provider text, model text,
    input_tokens integer, output_tokens integer, cost_micros bigint, latency_ms real, output jsonb)),
calls AS (INSERT INTO ${FLOOR_SCHEMA}.calls (call_id, tenant_id, capability, provider, model, input_tokens, output_tokens, cost_micros, latency_ms, output)
  SELECT call_id, tenant_id, capability, provider, model, input_tokens, output_tokens, cost_micros, latency_ms, output FROM rows),
events AS (INSERT INTO ${FLOOR_SCHEMA}.events (event_id, topic, payload)
  SELECT gen_random_uuid(), 'inference.completed', jsonb_build_object('call_id', call_id, 'tenant_id', tenant_id, 'cost_micros', cost_micros) FROM rows)
INSERT INTO ${FLOOR_SCHEMA}.spend (tenant_id, day, spent_micros)
  SELECT t, current_date, s FROM unnest($2::text[], $3::bigint[]) AS x(t, s)
  ON CONFLICT (tenant_id, day) DO UPDATE SET spent_micros = ${FLOOR_SCHEMA}.spend.spent_micros + excluded.spent_micros`,

  drop: `DROP SCHEMA IF EXISTS ${FLOOR_SCHEMA} CASCADE`,
};
