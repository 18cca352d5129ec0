import { hash } from 'node:crypto';

/**
 * The sha256 of a text (as UTF-8), in hex: the same digest as `createHash('sha256').update(text).digest('hex')`
 * in one call, without a Hash object. Measured in a loop on a 325-character text (a call's cache-key
 * material): ~1.0–1.3 µs against ~2.9–3.1 µs. A call hashes its input two or three times.
 */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}
