import type { Block, ExtractedDocument } from '../types.js';

const ATX = /^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const TABLE_RULE = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

/** Inline Markdown to plain text: links and images keep their text, emphasis and code marks go. */
export function stripInline(text: string): string {
  return text
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1')
    .replace(/<\/?[a-zA-Z][^>]*>/g, '')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/(^|[^\w*])[*_]([^*_\s][^*_]*?)[*_](?=[^\w*]|$)/g, '$1$2')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/[ \t]+/g, ' ')
    .trim();
}

/**
 * Markdown to blocks: ATX and setext headings, paragraphs split at blank lines (a list stays one
 * paragraph per item group), fenced code kept verbatim, front matter dropped (its `title:` kept).
 */
export function extractMarkdown(source: string, fallbackTitle: string): ExtractedDocument {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let title: string | undefined;
  let i = 0;
  if (lines[0]?.trim() === '---') {
    const end = lines.findIndex((l, n) => n > 0 && (l.trim() === '---' || l.trim() === '...'));
    if (end > 0) {
      const match = lines.slice(1, end).map((l) => /^title:\s*["']?(.*?)["']?\s*$/.exec(l)).find(Boolean);
      if (match?.[1]) title = match[1];
      i = end + 1;
    }
  }
  let paragraph: string[] = [];
  const flush = () => {
    const text = paragraph.map((l) => stripInline(l)).filter(Boolean).join('\n');
    if (text) blocks.push({ kind: 'paragraph', text });
    paragraph = [];
  };
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    if (fence) {
      flush();
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i]!.trimStart().startsWith(fence[1]!); i++) code.push(lines[i]!);
      if (code.join('').trim()) blocks.push({ kind: 'paragraph', text: code.join('\n') });
      continue;
    }
    const atx = ATX.exec(line);
    if (atx) {
      flush();
      blocks.push({ kind: 'heading', level: atx[1]!.length, text: stripInline(atx[2]!) });
      continue;
    }
    const next = lines[i + 1];
    if (paragraph.length === 0 && line.trim() && next !== undefined && SETEXT.exec(next) && !TABLE_RULE.test(line)) {
      blocks.push({ kind: 'heading', level: next.trim().startsWith('=') ? 1 : 2, text: stripInline(line) });
      i++;
      continue;
    }
    if (!line.trim()) {
      flush();
      continue;
    }
    if (TABLE_RULE.test(line) && line.includes('-')) continue;
    paragraph.push(line.replace(/^\s*>\s?/, ''));
  }
  flush();
  title ??= blocks.find((b) => b.kind === 'heading' && b.level === 1)?.text ?? fallbackTitle;
  return { title, blocks };
}
