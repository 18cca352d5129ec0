import path from 'node:path';
import { DocumentError, type ExtractedDocument } from '../types.js';
import { extractHtml } from './html.js';
import { extractMarkdown } from './markdown.js';
import { extractPdf } from './pdf.js';
import { extractText } from './text.js';

export type DocumentFormat = 'markdown' | 'text' | 'html' | 'pdf';

const BY_EXTENSION: Record<string, DocumentFormat> = {
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.txt': 'text',
  '.text': 'text',
  '.html': 'html',
  '.htm': 'html',
  '.pdf': 'pdf',
};

/** The format of a source object by its name, or undefined for files the ingestor does not read. */
export function formatOf(name: string): DocumentFormat | undefined {
  return BY_EXTENSION[path.extname(name).toLowerCase()];
}

/** Bytes of a source document → its title and structured text. Throws DocumentError for unreadable input. */
export async function extractDocument(name: string, bytes: Uint8Array): Promise<ExtractedDocument> {
  const format = formatOf(name);
  const fallbackTitle = path.basename(name).replace(/\.[^.]+$/, '');
  if (!format) throw new DocumentError(`unsupported file type ${path.extname(name) || '(none)'}`);
  if (format === 'pdf') return extractPdf(bytes, fallbackTitle);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DocumentError('not valid UTF-8 text');
  }
  if (text.includes('\u0000')) throw new DocumentError('binary content in a text document');
  text = text.replace(/^\uFEFF/, '');
  if (format === 'markdown') return extractMarkdown(text, fallbackTitle);
  if (format === 'html') return extractHtml(text, fallbackTitle);
  return extractText(text, fallbackTitle);
}
