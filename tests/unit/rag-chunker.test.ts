import { describe, expect, it } from 'vitest';
import { chunkDocument, contextualText } from '../../shared/rag/chunker.js';
import { questionWords, toVectorArrayBinary, toVectorBinary, toVectorLiteral } from '../../shared/rag/vector.js';
import { estimateTokens } from '../../shared/providers/tokens.js';
import type { ExtractedDocument } from '../../shared/rag/types.js';

const sentence = (i: number) => `Sentence number ${i} of the policy says something specific about rule ${i}.`;

describe('chunking along structure', () => {
  it('starts a chunk at every heading and keeps the heading path (outermost first) and positions', () => {
    const doc: ExtractedDocument = {
      title: 'Pets',
      blocks: [
        { kind: 'heading', level: 1, text: 'Pets' },
        { kind: 'paragraph', text: 'Dogs are welcome.' },
        { kind: 'heading', level: 2, text: 'Dogs' },
        { kind: 'paragraph', text: 'Two dogs per room.' },
        { kind: 'heading', level: 3, text: 'Fees' },
        { kind: 'paragraph', text: 'EUR 20 per night.' },
        { kind: 'heading', level: 2, text: 'Cats' },
        { kind: 'paragraph', text: 'Not accepted.' },
      ],
    };
    const chunks = chunkDocument(doc, { maxTokens: 64, overlapTokens: 8 });
    expect(chunks.map((c) => [c.position, c.headingPath, c.text])).toEqual([
      [0, ['Pets'], 'Dogs are welcome.'],
      [1, ['Pets', 'Dogs'], 'Two dogs per room.'],
      [2, ['Pets', 'Dogs', 'Fees'], 'EUR 20 per night.'],
      [3, ['Pets', 'Cats'], 'Not accepted.'],
    ]);
  });

  it('packs paragraphs up to the token budget, splits long ones at sentences, and overlaps within a section', () => {
    const long = Array.from({ length: 40 }, (_, i) => sentence(i)).join(' ');
    const doc: ExtractedDocument = { title: 'Rules', blocks: [{ kind: 'heading', level: 1, text: 'Rules' }, { kind: 'paragraph', text: 'Short intro.' }, { kind: 'paragraph', text: long }] };
    const chunks = chunkDocument(doc, { maxTokens: 100, overlapTokens: 20 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) {
      expect(c.tokenCount).toBeLessThanOrEqual(100);
      expect(c.tokenCount).toBe(estimateTokens(c.text));
      expect(c.headingPath).toEqual(['Rules']);
    }
    expect(chunks[0]!.text.startsWith('Short intro.\n\nSentence number 0')).toBe(true);
    // Each next chunk begins with the last words of the previous one.
    for (let i = 1; i < chunks.length; i++) {
      const head = chunks[i]!.text.split(/\s+/).slice(0, 3).join(' ');
      expect(chunks[i - 1]!.text.replace(/\s+/g, ' ')).toContain(head);
    }
    // Nothing is lost: every sentence appears in some chunk.
    for (let i = 0; i < 40; i++) expect(chunks.some((c) => c.text.includes(sentence(i)))).toBe(true);
    expect(chunks.map((c) => c.position)).toEqual(chunks.map((_, i) => i));
  });

  it('cuts a run-on sentence between words, and rejects impossible settings', () => {
    const words = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
    const chunks = chunkDocument({ title: 't', blocks: [{ kind: 'paragraph', text: words }] }, { maxTokens: 50, overlapTokens: 0 });
    expect(chunks.every((c) => c.tokenCount <= 50)).toBe(true);
    expect(chunks.map((c) => c.text).join(' ')).toBe(words);
    expect(() => chunkDocument({ title: 't', blocks: [] }, { maxTokens: 50, overlapTokens: 30 })).toThrow(RangeError);
  });

  it('keeps the page of PDF blocks and drops headings without text', () => {
    const chunks = chunkDocument({ title: 'H', blocks: [{ kind: 'heading', level: 1, text: 'Empty' }, { kind: 'heading', level: 1, text: 'Visitors', page: 2 }, { kind: 'paragraph', text: 'Until 22:00.', page: 2 }] });
    expect(chunks).toEqual([{ position: 0, headingPath: ['Visitors'], text: 'Until 22:00.', tokenCount: 3, page: 2 }]);
  });

  it('embeds a chunk with its document title and headings', () => {
    expect(contextualText('Pet policy', { headingPath: ['Pet policy', 'Dogs'], text: 'Two dogs.' })).toBe('Pet policy › Dogs\nTwo dogs.');
  });
});

describe('search helpers', () => {
  it('full-text query: the question’s distinct words, without any tsquery syntax getting through', () => {
    expect(questionWords("Can I bring my dog? (it's small) & cute! Dog")).toEqual(['can', 'i', 'bring', 'my', 'dog', 'it', 's', 'small', 'cute']);
    expect(questionWords('!!! ???')).toEqual([]);
  });

  it('vector literals: float4 precision, finite values only', () => {
    expect(toVectorLiteral([0, 0.123456789, -1])).toBe('[0,0.1234568,-1.000000]');
    expect(() => toVectorLiteral([Number.NaN])).toThrow(RangeError);
  });

  it('vector binary form (pgvector vector_recv): int16 dims, int16 zero, big-endian float4s; finite values only', () => {
    const buf = toVectorBinary([0.5, -2, 0.123456789]);
    expect(buf.length).toBe(4 + 3 * 4);
    expect(buf.readInt16BE(0)).toBe(3);
    expect(buf.readInt16BE(2)).toBe(0);
    expect([buf.readFloatBE(4), buf.readFloatBE(8), buf.readFloatBE(12)]).toEqual([0.5, -2, Math.fround(0.123456789)]);
    expect(() => toVectorBinary([1, Number.POSITIVE_INFINITY])).toThrow(RangeError);
    // pgvector's limit, and the int16 the dimension count travels in.
    expect(() => toVectorBinary(new Array<number>(16_001).fill(0))).toThrow(/at most 16000 dimensions/);
  });

  it('vector arrays in binary form: array header with the vector type OID, then each vector length-prefixed', () => {
    const buf = toVectorArrayBinary([[1, 2], [0.5, -1]], 16_385);
    expect([buf.readInt32BE(0), buf.readInt32BE(4), buf.readUInt32BE(8), buf.readInt32BE(12), buf.readInt32BE(16)]).toEqual([1, 0, 16_385, 2, 1]);
    expect(buf.readInt32BE(20)).toBe(12);
    expect(buf.subarray(24, 36)).toEqual(toVectorBinary([1, 2]));
    expect(buf.readInt32BE(36)).toBe(12);
    expect(buf.subarray(40)).toEqual(toVectorBinary([0.5, -1]));
    expect(() => toVectorArrayBinary([[1, Number.NaN]], 1)).toThrow(RangeError);
  });
});
