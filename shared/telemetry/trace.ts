/**
 * Cloud Logging correlates log lines with a trace through `logging.googleapis.com/trace`
 * (`projects/P/traces/TRACE_ID`). Cloud Run sends both `traceparent` (W3C) and `X-Cloud-Trace-Context`.
 */
export interface TraceContext {
  traceId: string;
  spanId?: string;
  sampled: boolean;
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const CLOUD_TRACE = /^([0-9a-fA-F]{32})(?:\/(\d+))?(?:;o=([01]))?$/;

export function parseTraceHeaders(headers: Record<string, string | string[] | undefined>): TraceContext | undefined {
  const tp = first(headers['traceparent']);
  if (tp) {
    const m = TRACEPARENT.exec(tp.trim());
    if (m && !/^0+$/.test(m[1] as string)) {
      return { traceId: m[1] as string, spanId: m[2], sampled: (parseInt(m[3] as string, 16) & 1) === 1 };
    }
  }
  const ct = first(headers['x-cloud-trace-context']);
  if (ct) {
    const m = CLOUD_TRACE.exec(ct.trim());
    if (m) {
      const spanId = m[2] ? BigInt(m[2]).toString(16).padStart(16, '0') : undefined;
      return { traceId: (m[1] as string).toLowerCase(), spanId, sampled: m[3] === '1' };
    }
  }
  return undefined;
}

/** The structured-logging fields Cloud Logging uses to attach a line to its trace. */
export function traceLogFields(ctx: TraceContext | undefined, project: string | undefined): Record<string, unknown> {
  if (!ctx) return {};
  const trace = project ? `projects/${project}/traces/${ctx.traceId}` : ctx.traceId;
  const fields: Record<string, unknown> = {
    'logging.googleapis.com/trace': trace,
    'logging.googleapis.com/trace_sampled': ctx.sampled,
  };
  if (ctx.spanId) fields['logging.googleapis.com/spanId'] = ctx.spanId;
  return fields;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
