/**
 * Single message transform (a Pub/Sub JavaScript UDF) on the BigQuery subscription of the inference
 * events topic: turns one CloudEvents binary-mode message (ce-* attributes + JSON data, see
 * shared/events/envelope.ts) into one `ai_calls_fact` row, and drops every other event type.
 *
 * It runs inside Pub/Sub, not in Node, so it is plain ES5 with no dependencies. TIMESTAMP columns get
 * microseconds since the epoch, the BigQuery Storage Write API's native encoding.
 */
export const AI_CALLS_UDF_NAME = 'toAiCallsFactRow';

export const AI_CALLS_UDF_SOURCE = `function ${AI_CALLS_UDF_NAME}(message, metadata) {
  var a = message.attributes || {};
  var type = a['ce-type'];
  if (type !== 'inference.completed' && type !== 'inference.failed') return null;
  var data = JSON.parse(message.data);
  var micros = function (iso) { return Date.parse(iso) * 1000; };
  var pick = function (v) { return v === undefined ? null : v; };
  var row = {
    event_id: a['ce-id'],
    event_time: micros(a['ce-time']),
    tenant_id: a['ce-tenantid'],
    outcome: type === 'inference.completed' ? 'completed' : 'failed',
    capability_key: pick(data.capability),
    call_id: pick(data.call_id),
    provider: pick(data.provider),
    model: pick(data.model),
    input_tokens: pick(data.input_tokens),
    output_tokens: pick(data.output_tokens),
    cost_micros: pick(data.cost_micros),
    cache_hit: pick(data.cache_hit),
    degraded: pick(data.degraded),
    latency_ms: pick(data.latency_ms),
    error_code: pick(data.code),
    correlation_id: pick(data.correlation_id),
    request_id: pick(data.request_id),
    replayed: data.replayed === true,
    message_id: pick(metadata && metadata.message_id),
    publish_time: metadata && metadata.publish_time ? micros(metadata.publish_time) : null
  };
  return { data: JSON.stringify(row), attributes: a };
}
`;

/** The `ai_calls_fact` columns, in the BigQuery JSON schema format; the UDF writes exactly these. */
export const AI_CALLS_FACT_SCHEMA = [
  { name: 'event_id', type: 'STRING', mode: 'REQUIRED', description: 'CloudEvents id (dedupe key: delivery is at least once)' },
  { name: 'event_time', type: 'TIMESTAMP', mode: 'REQUIRED', description: 'When the call was recorded (partitioning column)' },
  { name: 'tenant_id', type: 'STRING', mode: 'REQUIRED' },
  { name: 'outcome', type: 'STRING', mode: 'REQUIRED', description: 'completed or failed' },
  { name: 'capability_key', type: 'STRING', mode: 'NULLABLE' },
  { name: 'call_id', type: 'STRING', mode: 'NULLABLE' },
  { name: 'provider', type: 'STRING', mode: 'NULLABLE' },
  { name: 'model', type: 'STRING', mode: 'NULLABLE' },
  { name: 'input_tokens', type: 'INTEGER', mode: 'NULLABLE' },
  { name: 'output_tokens', type: 'INTEGER', mode: 'NULLABLE' },
  { name: 'cost_micros', type: 'INTEGER', mode: 'NULLABLE', description: 'US dollars x 1e6' },
  { name: 'cache_hit', type: 'BOOLEAN', mode: 'NULLABLE' },
  { name: 'degraded', type: 'BOOLEAN', mode: 'NULLABLE' },
  { name: 'latency_ms', type: 'INTEGER', mode: 'NULLABLE' },
  { name: 'error_code', type: 'STRING', mode: 'NULLABLE', description: 'problem+json code of a failed call' },
  { name: 'correlation_id', type: 'STRING', mode: 'NULLABLE' },
  { name: 'request_id', type: 'STRING', mode: 'NULLABLE', description: 'Async command request_id (channel async)' },
  { name: 'replayed', type: 'BOOLEAN', mode: 'NULLABLE', description: 'Answered from an earlier result: nothing charged by this call (exclude from cost sums)' },
  { name: 'message_id', type: 'STRING', mode: 'NULLABLE', description: 'Pub/Sub message id' },
  { name: 'publish_time', type: 'TIMESTAMP', mode: 'NULLABLE' },
] as const;
