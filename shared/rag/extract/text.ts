import type { Block, ExtractedDocument } from '../types.js';

/** Plain text: paragraphs split at blank lines; a short first line is the title, and the heading above the rest. */
export function extractText(source: string, fallbackTitle: string): ExtractedDocument {
  const paragraphs = source
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((p) => p.replace(/[ \t]+/g, ' ').trim())
    .filter(Boolean);
  const first = paragraphs[0];
  const titled = first !== undefined && paragraphs.length > 1 && !first.includes('\n') && first.length <= 120 && !/[.!?:;,]$/.test(first);
  const blocks: Block[] = paragraphs.map((text, i) => (titled && i === 0 ? { kind: 'heading', level: 1, text } : { kind: 'paragraph', text }));
  return { title: titled ? first : fallbackTitle, blocks };
}
