import { describe, expect, it } from 'vitest';
import { createLocalHashingEmbedder } from '../../shared/providers/embeddings/index.js';

const cosine = (a: number[], b: number[]) => a.reduce((sum, v, i) => sum + v * b[i]!, 0);
const norm = (v: number[]) => Math.sqrt(cosine(v, v));

const embedder = createLocalHashingEmbedder();

async function similarity(a: string, b: string): Promise<number> {
  const { vectors } = await embedder.embed([a, b]);
  return cosine(vectors[0]!, vectors[1]!);
}

const PASSAGES = [
  'Pets are welcome in all rooms for a fee of 20 EUR per night; please tell us when booking.',
  'Late checkout until 2 pm is available on request and free of charge for gold and platinum members.',
  'Breakfast is served daily from 7 to 10 am in the restaurant on the ground floor.',
  'Our underground parking garage costs 15 EUR per day; electric vehicle chargers are available.',
  'Smoking is strictly prohibited in all rooms; a cleaning fee of 250 EUR applies.',
  'Free cancellation is possible up to 48 hours before arrival; later cancellations are charged one night.',
  'Das Frühstück wird täglich von 7 bis 10 Uhr im Restaurant serviert.',
  'Le petit-déjeuner est servi tous les jours de 7 h à 10 h au restaurant.',
];

describe('local hashing embedder', () => {
  it('reports its name, model and dimension', () => {
    expect(embedder).toMatchObject({ name: 'local', model: 'hashing-768', dimensions: 768 });
    expect(createLocalHashingEmbedder({ dimensions: 256 })).toMatchObject({ model: 'hashing-256', dimensions: 256 });
  });

  it('returns one unit vector of the configured dimension per text, in order, with estimated tokens', async () => {
    const texts = ['Pets are welcome.', 'Breakfast from 7 am', 'x'.repeat(41)];
    const { vectors, inputTokens } = await createLocalHashingEmbedder({ dimensions: 384 }).embed(texts);
    expect(vectors).toHaveLength(3);
    for (const v of vectors) {
      expect(v).toHaveLength(384);
      expect(norm(v)).toBeCloseTo(1, 10);
    }
    expect(inputTokens).toBe(5 + 5 + 11);
  });

  it('is deterministic across calls and instances', async () => {
    const a = await embedder.embed(['Is late checkout possible on Sunday?']);
    const b = await createLocalHashingEmbedder().embed(['Is late checkout possible on Sunday?']);
    expect(b.vectors).toEqual(a.vectors);
  });

  it('ignores case, accents and punctuation', async () => {
    expect(await similarity('Café crème, SVP!', 'cafe creme svp')).toBeCloseTo(1, 10);
  });

  it('rates texts that share words and word forms as similar, unrelated texts as dissimilar', async () => {
    expect(await similarity('Smoking is strictly prohibited in all rooms.', 'Smoking is not allowed in the rooms.')).toBeGreaterThan(0.35);
    expect(await similarity('Late checkout is available until 2 pm.', 'Is late check-out possible?')).toBeGreaterThan(0.2);
    expect(await similarity('Pets are welcome in all rooms.', 'Can I bring my pet to the room?')).toBeGreaterThan(0.15);
    expect(Math.abs(await similarity('The swimming pool opens at 8 am.', 'Our parking garage costs 15 EUR per day.'))).toBeLessThan(0.1);
    expect(Math.abs(await similarity('Late checkout is available until 2 pm.', 'Breakfast is served in the restaurant.'))).toBeLessThan(0.1);
  });

  it('ranks the passage that answers a question first', async () => {
    const queries: Array<[string, number]> = [
      ['Can I bring my dog? Are pets allowed?', 0],
      ['Until when can I check out late?', 1],
      ['What time is breakfast served?', 2],
      ['How much does parking cost per day?', 3],
      ['Is smoking allowed in the room?', 4],
      ['Can I cancel my booking for free?', 5],
      ['Wann gibt es Frühstück?', 6],
      ['À quelle heure est servi le petit déjeuner ?', 7],
    ];
    const { vectors: passages } = await embedder.embed(PASSAGES, { taskType: 'RETRIEVAL_DOCUMENT' });
    const { vectors: questions } = await embedder.embed(queries.map(([q]) => q), { taskType: 'RETRIEVAL_QUERY' });
    const best = questions.map((q) => passages.map((p, i) => [cosine(q, p), i] as const).sort((x, y) => y[0] - x[0])[0]![1]);
    expect(best).toEqual(queries.map(([, expected]) => expected));
  });

  it('embeds a text without words as the zero vector', async () => {
    const { vectors, inputTokens } = await embedder.embed(['', ' … !? ']);
    expect(vectors.map((v) => v.every((x) => x === 0))).toEqual([true, true]);
    expect(inputTokens).toBe(0 + 2);
  });

  it('embeds an empty batch', async () => {
    expect(await embedder.embed([])).toEqual({ vectors: [], inputTokens: 0 });
  });
});
