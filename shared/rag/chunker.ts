import { estimateTokens } from '../providers/tokens.js';
import type { Block, Chunk, ExtractedDocument } from './types.js';

export interface ChunkOptions {
  /** Largest chunk, in estimated tokens (the embedding model's window is far larger; smaller = sharper citations). */
  maxTokens: number;
  /** Tokens of the previous chunk repeated at the start of the next one within a section. */
  overlapTokens: number;
}

/** Bumped whenever chunking changes, so unchanged documents are re-chunked (see rag_documents.pipeline). */
export const CHUNKER_VERSION = 'chunker-v1';
export const DEFAULT_CHUNKING: ChunkOptions = { maxTokens: 256, overlapTokens: 32 };

const SENTENCE_END = /(?<=[.!?…])\s+(?=\S)/u;

/** Splits a paragraph longer than the budget at sentence ends, then (for run-on sentences) between words. */
function pieces(text: string, maxTokens: number): string[] {
  if (estimateTokens(text) <= maxTokens) return [text];
  const out: string[] = [];
  for (const sentence of text.split(SENTENCE_END)) {
    if (estimateTokens(sentence) <= maxTokens) {
      out.push(sentence);
      continue;
    }
    let current = '';
    for (const word of sentence.split(/\s+/)) {
      const next = current ? `${current} ${word}` : word;
      if (current && estimateTokens(next) > maxTokens) {
        out.push(current);
        current = word;
      } else current = next;
    }
    if (current) out.push(current);
  }
  return out;
}

/** The last words of `text` worth at most `tokens` tokens. */
function tail(text: string, tokens: number): string {
  if (tokens <= 0) return '';
  const words = text.split(/\s+/);
  let out = '';
  for (let i = words.length - 1; i >= 0; i--) {
    const next = out ? `${words[i]} ${out}` : words[i]!;
    if (estimateTokens(next) > tokens) break;
    out = next;
  }
  return out;
}

/**
 * Cuts a document along its structure: a heading always starts a new chunk; within a section, paragraphs
 * are packed up to `maxTokens`, a paragraph that does not fit is split at sentences, and each following
 * chunk of the same section starts with the last `overlapTokens` of the previous one. Every chunk keeps the
 * heading path above it and its position in the document.
 */
export function chunkDocument(doc: ExtractedDocument, opts: ChunkOptions = DEFAULT_CHUNKING): Chunk[] {
  if (opts.maxTokens < 8 || opts.overlapTokens < 0 || opts.overlapTokens >= opts.maxTokens / 2) {
    throw new RangeError(`chunking: need maxTokens ≥ 8 and 0 ≤ overlapTokens < maxTokens / 2 (got ${opts.maxTokens}, ${opts.overlapTokens})`);
  }
  const chunks: Chunk[] = [];
  const headings: Array<{ level: number; text: string }> = [];
  // The chunk being built: pieces of one paragraph join with a space, paragraphs with a blank line.
  let text = '';
  let page: number | undefined;
  let hasNew = false;

  const emit = (keepOverlap: boolean) => {
    if (hasNew && text) {
      chunks.push({ position: chunks.length, headingPath: headings.map((h) => h.text), text, tokenCount: estimateTokens(text), ...(page !== undefined ? { page } : {}) });
    }
    text = keepOverlap && hasNew ? tail(text, opts.overlapTokens) : keepOverlap ? text : '';
    hasNew = false;
    page = undefined;
  };

  const addBlock = (block: Block) => {
    if (block.kind === 'heading') {
      emit(false);
      const level = block.level ?? 1;
      while (headings.length > 0 && headings.at(-1)!.level >= level) headings.pop();
      headings.push({ level, text: block.text });
      return;
    }
    let separator = '\n\n';
    for (const piece of pieces(block.text, opts.maxTokens - opts.overlapTokens)) {
      if (hasNew && estimateTokens(`${text}${separator}${piece}`) > opts.maxTokens) {
        emit(true);
        separator = ' ';
      }
      text = text ? `${text}${separator}${piece}` : piece;
      separator = ' ';
      hasNew = true;
      page ??= block.page;
    }
  };
  doc.blocks.forEach(addBlock);
  emit(false);
  return chunks;
}

/** What is embedded and indexed for full-text search: the chunk with its document title and headings. */
export function contextualText(title: string, chunk: Pick<Chunk, 'headingPath' | 'text'>): string {
  const path = [title, ...chunk.headingPath.filter((h) => h !== title)].join(' › ');
  return `${path}\n${chunk.text}`;
}
