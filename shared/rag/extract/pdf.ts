import { DocumentError, type Block, type ExtractedDocument } from '../types.js';

interface Line {
  text: string;
  size: number;
  y: number;
  page: number;
}

interface TextItemLike {
  str: string;
  height: number;
  transform: number[];
  hasEOL: boolean;
}

// A heading is set larger than the body text; this much larger, at least.
const HEADING_RATIO = 1.15;
const MAX_HEADING_CHARS = 120;

/** Text lines of every page, in reading order, with their font size (pdfjs text content). */
async function readLines(bytes: Uint8Array): Promise<{ lines: Line[]; title?: string }> {
  // The legacy build runs on Node without DOM globals; loaded only when a PDF shows up.
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = getDocument({ data: new Uint8Array(bytes), isEvalSupported: false, disableFontFace: true, useSystemFonts: false, verbosity: 0 });
  let doc;
  try {
    doc = await task.promise;
  } catch (err) {
    await task.destroy().catch(() => {});
    throw new DocumentError(`unreadable PDF: ${(err as Error).message}`);
  }
  try {
    const lines: Line[] = [];
    const info = (await doc.getMetadata().catch(() => undefined))?.info as { Title?: unknown } | undefined;
    for (let p = 1; p <= doc.numPages; p++) {
      const page = await doc.getPage(p);
      const content = await page.getTextContent();
      let current: Line | undefined;
      for (const raw of content.items) {
        if (!('str' in raw)) continue;
        const item = raw as TextItemLike;
        const y = item.transform[5] ?? 0;
        if (current && Math.abs(current.y - y) > Math.max(1, current.size * 0.3) && current.text.trim()) {
          lines.push(current);
          current = undefined;
        }
        if (item.str) {
          current ??= { text: '', size: 0, y, page: p };
          current.text += item.str;
          current.size = Math.max(current.size, item.height);
        }
        if (item.hasEOL && current?.text.trim()) {
          lines.push(current);
          current = undefined;
        }
      }
      if (current?.text.trim()) lines.push(current);
      page.cleanup();
    }
    return { lines, ...(typeof info?.Title === 'string' && info.Title.trim() ? { title: info.Title.trim() } : {}) };
  } catch (err) {
    throw new DocumentError(`unreadable PDF: ${(err as Error).message}`);
  } finally {
    await doc.destroy().catch(() => {});
  }
}

/** The font size most characters are set in. */
function bodySize(lines: Line[]): number {
  const chars = new Map<number, number>();
  for (const l of lines) chars.set(Math.round(l.size), (chars.get(Math.round(l.size)) ?? 0) + l.text.length);
  return [...chars.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0;
}

/**
 * PDF to blocks with pdfjs-dist: lines set larger than the body text are headings (larger size = higher
 * level); a vertical gap, a page break or a size change ends a paragraph.
 */
export async function extractPdf(bytes: Uint8Array, fallbackTitle: string): Promise<ExtractedDocument> {
  const { lines, title } = await readLines(bytes);
  if (lines.length === 0) throw new DocumentError('PDF has no extractable text (scanned images are not OCRed)');
  const body = bodySize(lines);
  const isHeading = (l: Line) => l.size >= body * HEADING_RATIO && l.text.trim().length <= MAX_HEADING_CHARS;
  const headingSizes = [...new Set(lines.filter(isHeading).map((l) => Math.round(l.size)))].sort((a, b) => b - a);
  const blocks: Block[] = [];
  let paragraph: Line[] = [];
  const flush = () => {
    const text = paragraph.map((l) => l.text.trim()).join(' ').replace(/\s+/g, ' ').replace(/(\w)- (\w)/g, '$1$2').trim();
    if (text) blocks.push({ kind: 'paragraph', text, page: paragraph[0]!.page });
    paragraph = [];
  };
  for (const line of lines) {
    if (isHeading(line)) {
      flush();
      blocks.push({ kind: 'heading', level: Math.min(6, headingSizes.indexOf(Math.round(line.size)) + 1), text: line.text.trim(), page: line.page });
      continue;
    }
    const prev = paragraph.at(-1);
    if (prev && (prev.page !== line.page || prev.y - line.y > prev.size * 1.9 || Math.round(prev.size) !== Math.round(line.size))) flush();
    paragraph.push(line);
  }
  flush();
  const firstHeading = blocks.find((b) => b.kind === 'heading')?.text;
  return { title: title ?? firstHeading ?? fallbackTitle, blocks };
}
