import { isDeepStrictEqual } from 'node:util';
import type { Expectation } from './dataset.js';

/** The field at a dot path (`offers.0.code`), or undefined when any step is missing. */
export function valueAt(root: unknown, path: string): unknown {
  let node: unknown = root;
  for (const step of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[step];
  }
  return node;
}

/** Every expectation the output does not meet, described for the run's report; empty when all hold. */
export function unmetExpectations(output: unknown, expectations: readonly Expectation[]): string[] {
  const failures: string[] = [];
  for (const e of expectations) {
    const actual = valueAt(output, e.path);
    const shown = JSON.stringify(actual) ?? 'undefined';
    if ('equals' in e && !isDeepStrictEqual(actual, e.equals)) failures.push(`${e.path}: expected ${JSON.stringify(e.equals)}, got ${shown}`);
    if (e.contains !== undefined && !(typeof actual === 'string' && actual.toLowerCase().includes(e.contains.toLowerCase()))) {
      failures.push(`${e.path}: expected to contain ${JSON.stringify(e.contains)}, got ${truncate(shown)}`);
    }
    if (e.matches !== undefined && !(typeof actual === 'string' && new RegExp(e.matches, 'u').test(actual))) {
      failures.push(`${e.path}: expected to match /${e.matches}/, got ${truncate(shown)}`);
    }
    if (e.minItems !== undefined && !(Array.isArray(actual) && actual.length >= e.minItems)) {
      failures.push(`${e.path}: expected at least ${e.minItems} item(s), got ${Array.isArray(actual) ? actual.length : shown}`);
    }
    if (e.oneOf !== undefined && !e.oneOf.some((v) => isDeepStrictEqual(actual, v))) {
      failures.push(`${e.path}: expected one of ${JSON.stringify(e.oneOf)}, got ${shown}`);
    }
  }
  return failures;
}

const truncate = (s: string) => (s.length > 120 ? `${s.slice(0, 117)}…` : s);
