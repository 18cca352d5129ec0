/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum Secret Manager and Cloud KMS
 * attach to payloads so a client can detect corruption in transit.
 */
const TABLE = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** CRC32C of `data` as an unsigned 32-bit integer; pass a previous result as `seed` to continue over chunks. */
export function crc32c(data: Uint8Array | string, seed = 0): number {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let crc = ~seed >>> 0;
  for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}
