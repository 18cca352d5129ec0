/**
 * JSON Pointers (RFC 6901) of every value that differs between a draft and its final output, for the audit
 * trail: a reviewer's edit is recorded as what changed, not only as the two documents.
 */
export function changedPaths(before: unknown, after: unknown, at = ''): string[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => changedPaths(before[key], after[key], `${at}/${escape(key)}`));
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const length = Math.max(before.length, after.length);
    return Array.from({ length }, (_, i) => changedPaths(before[i], after[i], `${at}/${i}`)).flat();
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [at || '/'];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escape(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}
