/** What a cache hit serves: the answer and where it came from, as first produced. */
export interface CachedInference {
  output: unknown;
  provider: string;
  model: string;
  degraded: boolean;
  usage: { input_tokens: number; output_tokens: number };
  citations: unknown[];
  /** ISO 8601 time the answer was produced. */
  created_at: string;
}

/** Parses a stored entry; undefined when it is not valid JSON or not shaped like a CachedInference. */
export function parseCachedInference(raw: string): CachedInference | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  return isCachedInference(value) ? value : undefined;
}

function isCachedInference(value: unknown): value is CachedInference {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const usage = v.usage as Record<string, unknown> | null | undefined;
  return (
    'output' in v &&
    typeof v.provider === 'string' &&
    typeof v.model === 'string' &&
    typeof v.degraded === 'boolean' &&
    typeof usage === 'object' &&
    usage !== null &&
    Number.isFinite(usage.input_tokens) &&
    Number.isFinite(usage.output_tokens) &&
    Array.isArray(v.citations) &&
    typeof v.created_at === 'string'
  );
}
