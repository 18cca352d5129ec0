import { describe, expect, it } from 'vitest';
import { crc32c } from '../../shared/util/crc32c.js';

describe('crc32c', () => {
  it('matches the published check values', () => {
    expect(crc32c('123456789')).toBe(0xe3069283);
    expect(crc32c('')).toBe(0);
    expect(crc32c('a')).toBe(0xc1d04330);
    // RFC 3720 (iSCSI), B.4: 32 bytes of zeros, of 0xff, and ascending 0..31.
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
  });

  it('continues over chunks from a previous result', () => {
    expect(crc32c('56789', crc32c('1234'))).toBe(0xe3069283);
  });

  it('reads strings as UTF-8', () => {
    expect(crc32c('Grüße')).toBe(crc32c(Buffer.from('Grüße', 'utf8')));
  });
});
