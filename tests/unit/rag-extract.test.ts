import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractDocument, formatOf } from '../../shared/rag/extract/index.js';
import { DocumentError } from '../../shared/rag/types.js';
import { corruptPdf, houseRulesPdf, makePdf } from '../fixtures/rag/make-pdf.js';

const fixture = (name: string) => readFileSync(`tests/fixtures/rag/hotel-policies/${name}`);
const headings = (doc: { blocks: Array<{ kind: string; text: string; level?: number }> }) => doc.blocks.filter((b) => b.kind === 'heading').map((b) => `${b.level}:${b.text}`);

describe('document text extraction', () => {
  it('Markdown: front-matter title, ATX and setext headings, inline marks stripped, code fences kept', async () => {
    const md = ['---', 'title: "House guide"', '---', 'Intro', '=====', '', 'Some **bold** and [a link](https://x.example) and `code`.', '', '## Rules', '- one', '- two', '', '```', 'raw  text', '```'].join('\n');
    const doc = await extractDocument('guide.md', Buffer.from(md));
    expect(doc.title).toBe('House guide');
    expect(headings(doc)).toEqual(['1:Intro', '2:Rules']);
    expect(doc.blocks.filter((b) => b.kind === 'paragraph').map((b) => b.text)).toEqual(['Some bold and a link and code.', '- one\n- two', 'raw  text']);
    const fromFile = await extractDocument('check-in-and-check-out.md', fixture('check-in-and-check-out.md'));
    expect(headings(fromFile)).toContain('3:Late check-out');
  });

  it('HTML: title tag, h1–h6 as headings, scripts, styles and navigation dropped, entities decoded, table rows as lines', async () => {
    const doc = await extractDocument('cancellation.html', fixture('cancellation.html'));
    expect(doc.title).toBe('Cancellation and modification policy');
    expect(headings(doc)).toEqual(['1:Cancellation and modification policy', '2:Flexible rate', '2:Non-refundable rate', '2:No-show', '2:Group bookings', '2:Changing dates']);
    const text = doc.blocks.map((b) => b.text).join('\n');
    expect(text).not.toMatch(/analytics|font-family|DOCTYPE|Home \|/);
    expect(text).toContain('release dates & deposits');
    expect(text).toContain('subject to availability – the price');
    expect(text).toContain('© 2026');
    const table = await extractDocument('children.html', fixture('children-and-extra-beds.html'));
    expect(table.blocks.map((b) => b.text)).toContain('Superior 2 adults + 1 extra bed');
  });

  it('plain text: a short first line is the title and heading, blank lines split paragraphs', async () => {
    const doc = await extractDocument('payment.txt', fixture('payment.txt'));
    expect(doc.title).toBe('Payment and taxes');
    expect(doc.blocks[0]).toEqual({ kind: 'heading', level: 1, text: 'Payment and taxes' });
    expect(doc.blocks.filter((b) => b.kind === 'paragraph')).toHaveLength(4);
    const untitled = await extractDocument('notes.txt', Buffer.from('Just one sentence here.'));
    expect(untitled).toEqual({ title: 'notes', blocks: [{ kind: 'paragraph', text: 'Just one sentence here.' }] });
  });

  it('PDF (pdfjs-dist): larger lines are headings by size, pages kept, metadata title used', async () => {
    const doc = await extractDocument('house-rules.pdf', houseRulesPdf());
    expect(doc.title).toBe('House rules');
    expect(headings(doc)).toEqual(['1:House rules', '2:Smoking', '2:Quiet hours', '2:Visitors', '2:Lost keys']);
    const visitors = doc.blocks.find((b) => b.text.startsWith('Visitors who'));
    expect(visitors).toMatchObject({ kind: 'paragraph', page: 2, text: 'Visitors who are not registered guests may stay in the rooms until 22:00 only and must sign in at reception.' });
    const untitled = await extractDocument('plain.pdf', makePdf([[{ text: 'Only body text.', size: 11 }]]));
    expect(untitled).toEqual({ title: 'plain', blocks: [{ kind: 'paragraph', text: 'Only body text.', page: 1 }] });
  });

  it('unreadable input is a DocumentError: corrupt or empty PDF, unsupported type, invalid UTF-8, binary text', async () => {
    await expect(extractDocument('broken.pdf', corruptPdf())).rejects.toThrow(DocumentError);
    await expect(extractDocument('broken.pdf', corruptPdf())).rejects.toThrow(/unreadable PDF/);
    await expect(extractDocument('blank.pdf', makePdf([[]]))).rejects.toThrow(/no extractable text/);
    await expect(extractDocument('sheet.xlsx', Buffer.from('x'))).rejects.toThrow(/unsupported file type .xlsx/);
    await expect(extractDocument('latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9]))).rejects.toThrow(/UTF-8/);
    await expect(extractDocument('nul.md', Buffer.from('a\u0000b'))).rejects.toThrow(/binary/);
    expect([formatOf('A.MD'), formatOf('x.htm'), formatOf('x.text'), formatOf('x.docx')]).toEqual(['markdown', 'html', 'text', undefined]);
  });
});
