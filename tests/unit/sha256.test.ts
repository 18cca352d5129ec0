import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../shared/util/sha256.js';

// Cache keys, input hashes and idempotency hashes are stored: the one-shot hash must give the same digests.
describe('sha256Hex', () => {
  it('gives the digest createHash gives, for empty, ASCII and non-ASCII text (as UTF-8)', () => {
    for (const text of ['', '{"a":1}', 'Zimmer für zwei · 東京 · 😀', 'x'.repeat(100_000)]) {
      expect(sha256Hex(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
    }
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
