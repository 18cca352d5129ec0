import type { EmbeddingProvider, EmbeddingResult } from '../port.js';
import { estimateTokens } from '../tokens.js';
import { STOPWORDS } from './stopwords.js';

export interface LocalHashingEmbedderOptions {
  /** Same dimension as the production embedder, so stored vectors fit the same column. */
  dimensions?: number;
}

// Feature weights: whole words carry the meaning, word pairs some word order, character trigrams
// morphology and spelling variants (checkout / check-out, pet / pets).
const WORD_WEIGHT = 1;
const STOPWORD_WEIGHT = 0.15;
const BIGRAM_WEIGHT = 0.6;
const TRIGRAMS_WEIGHT = 0.8;
const JOINED_WEIGHT = 0.5;

const SEED_WORD = 0x811c9dc5;
const SEED_BIGRAM = 0x1b873593;
const SEED_TRIGRAM = 0x9e3779b9;
/** Marks word starts and ends inside trigrams. */
const BOUNDARY = 0x02;

const WORD = /[\p{L}\p{N}]+/gu;
const MARKS = /\p{M}+/gu;

/** Murmur3's finaliser: spreads FNV's weak low bits over the whole word. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units, continuing from `h`. */
function fnv(word: string, h: number): number {
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193);
  return h;
}

/** A crude plural fold shared by the languages served (rooms → room, pets → pet). */
function stem(word: string): string {
  return word.length > 3 && word.charCodeAt(word.length - 1) === 0x73 ? word.slice(0, -1) : word;
}

function hashTrigram(a: number, b: number, c: number): number {
  let h = SEED_TRIGRAM;
  h = Math.imul(h ^ a, 0x01000193);
  h = Math.imul(h ^ b, 0x01000193);
  h = Math.imul(h ^ c, 0x01000193);
  return mix(h);
}

// Printable ASCII needs no Unicode folding: skipping it is most of the speed on English text.
const NEEDS_FOLDING = /[^ -~\t\n\r]/;

/** Lower case, compatibility forms folded, accents dropped: `Café` and `cafe` are one word. */
function words(text: string): string[] {
  const folded = NEEDS_FOLDING.test(text) ? text.normalize('NFKD').replace(MARKS, '') : text;
  return folded.toLowerCase().match(WORD) ?? [];
}

/**
 * The embedded-mode embedder: signed feature hashing of words, word pairs and character trigrams into
 * `dimensions` buckets, L2-normalised. Deterministic and offline; texts sharing words and word parts
 * get a high cosine similarity, unrelated texts a low one. It knows no synonyms.
 */
export function createLocalHashingEmbedder(opts: LocalHashingEmbedderOptions = {}): EmbeddingProvider {
  const dimensions = opts.dimensions ?? 768;
  if (!Number.isInteger(dimensions) || dimensions < 2) throw new Error(`local embedder: invalid dimensions ${dimensions}`);
  const acc = new Float64Array(dimensions);

  // The low bit signs the feature (so collisions cancel out on average), the rest picks the bucket.
  const add = (hash: number, weight: number) => {
    acc[(hash >>> 1) % dimensions]! += hash & 1 ? weight : -weight;
  };

  function embedOne(text: string): number[] {
    acc.fill(0);
    let previousRaw = 0;
    let previous = 0;
    let first = true;
    for (const word of words(text)) {
      const stemmed = stem(word);
      const h = mix(fnv(stemmed, SEED_WORD));
      add(h, STOPWORDS.has(word) ? STOPWORD_WEIGHT : WORD_WEIGHT);
      if (!first) {
        add(mix((Math.imul(previous, 31) ^ h ^ SEED_BIGRAM) >>> 0), BIGRAM_WEIGHT);
        // The pair written as one word lands on that word's bucket: check out / check-out ≈ checkout.
        add(mix(fnv(stemmed, previousRaw)), JOINED_WEIGHT);
      }
      previousRaw = fnv(word, SEED_WORD);
      previous = h;
      first = false;
      // Trigrams of `\x02word\x02`; their weights share one budget so long words do not dominate.
      const weight = TRIGRAMS_WEIGHT / Math.sqrt(word.length);
      let a = BOUNDARY;
      let b = word.charCodeAt(0);
      for (let i = 1; i <= word.length; i++) {
        const c = i < word.length ? word.charCodeAt(i) : BOUNDARY;
        add(hashTrigram(a, b, c), weight);
        a = b;
        b = c;
      }
    }
    let norm = 0;
    for (let i = 0; i < dimensions; i++) norm += acc[i]! * acc[i]!;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    const vector = new Array<number>(dimensions);
    for (let i = 0; i < dimensions; i++) vector[i] = acc[i]! * scale;
    return vector;
  }

  return {
    name: 'local',
    model: `hashing-${dimensions}`,
    dimensions,
    async embed(texts, options): Promise<EmbeddingResult> {
      options?.signal?.throwIfAborted();
      const vectors = texts.map(embedOne);
      return { vectors, inputTokens: texts.reduce((sum, t) => sum + estimateTokens(t), 0) };
    },
  };
}
