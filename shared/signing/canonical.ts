import { canonicalJson } from '../util/canonical-json.js';

/** The exact bytes a manifest signature covers: the UTF-8 RFC 8785 canonical JSON of the payload. */
export function canonicalPayloadBytes(payload: unknown): Buffer {
  return Buffer.from(canonicalJson(payload), 'utf8');
}
