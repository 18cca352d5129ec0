/**
 * Defensive readers for a capability input. The pipeline validates input before the chain runs, but the
 * deterministic provider is the last resort: it must answer whatever it is given, never throw.
 */
export type Fields = Record<string, unknown>;

export function fields(value: unknown): Fields {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Fields) : {};
}

export function text(value: unknown, fallback: string): string {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : fallback;
}

export function wholeNumber(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) ? value : fallback;
}

/** Shortens to at most `max` characters (an ellipsis marks the cut) without splitting a surrogate pair. */
export function clamp(value: string, max: number): string {
  if (value.length <= max) return value;
  let end = max - 1;
  if (end > 0 && /[\uD800-\uDBFF]/.test(value[end - 1]!)) end--;
  return `${value.slice(0, end)}…`;
}
