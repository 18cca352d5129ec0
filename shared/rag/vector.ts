/** rag_chunks.embedding is vector(768): Vertex text embeddings and the local hashing embedder alike. */
export const VECTOR_DIMENSIONS = 768;

/**
 * pgvector's text form `[x,y,…]`. Seven significant digits are float4's precision (pgvector stores
 * float4), and keep the literal about half the size of JavaScript's shortest round-trip form.
 */
export function toVectorLiteral(values: readonly number[]): string {
  let out = '[';
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new RangeError(`vector component ${i} is not finite`);
    if (i > 0) out += ',';
    out += v === 0 ? '0' : v.toPrecision(7);
  }
  return `${out}]`;
}

/**
 * pgvector's binary wire form (vector_recv): int16 dimensions, int16 unused, then float4 components, all
 * big-endian. node-pg sends a Buffer parameter in binary format, so the server copies 4 bytes per component
 * instead of parsing ~11 characters of text each (3 KB instead of ~8.5 KB for 768 dimensions).
 */
export function toVectorBinary(values: readonly number[]): Buffer {
  if (values.length > 16_000) throw new RangeError(`a vector has at most 16000 dimensions, got ${values.length}`);
  const buf = Buffer.allocUnsafe(4 + 4 * values.length);
  buf.writeInt16BE(values.length, 0);
  buf.writeInt16BE(0, 2);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new RangeError(`vector component ${i} is not finite`);
    buf.writeFloatBE(v, 4 + 4 * i);
  }
  return buf;
}

/**
 * A one-dimensional `vector[]` in Postgres' binary array form (array_recv): ndim, has-nulls flag, the element
 * type's OID (pgvector's `vector`, whose OID each database assigns: vectorTypeOid), length and lower bound,
 * then each element as its length and its vector_recv bytes (toVectorBinary). Ingest sends a batch's
 * embeddings this way: ~3 KB of floats per chunk to copy instead of ~5–9 KB of text to format in Node and
 * parse in Postgres.
 */
export function toVectorArrayBinary(vectors: readonly (readonly number[])[], vectorOid: number): Buffer {
  const elements = vectors.map((v) => toVectorBinary(v));
  const header = Buffer.allocUnsafe(20);
  header.writeInt32BE(1, 0);
  header.writeInt32BE(0, 4);
  header.writeUInt32BE(vectorOid, 8);
  header.writeInt32BE(elements.length, 12);
  header.writeInt32BE(1, 16);
  const parts: Buffer[] = [header];
  for (const e of elements) {
    const length = Buffer.allocUnsafe(4);
    length.writeInt32BE(e.length, 0);
    parts.push(length, e);
  }
  return Buffer.concat(parts);
}

/** Postgres' text search configuration for chunks and queries (stemming, stop words). */
export const TS_CONFIG = 'english';
/** The dictionary TS_CONFIG stems words with; it answers no lexeme for a stop word. */
export const TS_STEMMER = 'english_stem';

/**
 * A question's distinct words (lower case, at most `maxWords`), each a to_tsquery operand on its own: the
 * full-text fallback looks each one up and ranks the chunks found by their OR.
 */
export function questionWords(question: string, maxWords = 32): string[] {
  const words = question.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words)].slice(0, maxWords);
}
