import type { Block, ExtractedDocument } from '../types.js';

// Elements whose content is never policy text: code, styles, and the site's navigation chrome.
const DROPPED = /<(script|style|noscript|template|svg|head|nav)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
// Comments, then declarations and processing instructions (<!DOCTYPE …>, <?xml …?>, CDATA).
const COMMENT = /<!--[\s\S]*?-->|<![^>]*>|<\?[\s\S]*?\?>/g;
const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(\/?)>/g;
// Tags that end a paragraph (opening or closing); anything else is inline.
const BLOCK_TAGS = new Set([
  'address', 'article', 'aside', 'blockquote', 'body', 'br', 'caption', 'dd', 'details', 'div', 'dl', 'dt', 'fieldset', 'figcaption', 'figure',
  'footer', 'form', 'header', 'hr', 'html', 'li', 'main', 'nav', 'ol', 'p', 'pre', 'section', 'summary', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul',
]);

// The named entities hotel pages use; others are numeric or left as written.
const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', euro: '€', pound: '£', copy: '©', reg: '®', trade: '™', deg: '°',
  ndash: '–', mdash: '—', hellip: '…', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', middot: '·', times: '×', shy: '',
  auml: 'ä', ouml: 'ö', uuml: 'ü', Auml: 'Ä', Ouml: 'Ö', Uuml: 'Ü', szlig: 'ß', eacute: 'é', egrave: 'è', ecirc: 'ê', agrave: 'à',
  aacute: 'á', iacute: 'í', oacute: 'ó', uacute: 'ú', ntilde: 'ñ', ccedil: 'ç', Eacute: 'É',
};

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, name: string) => {
    if (name.startsWith('#')) {
      const code = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
      return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED[name] ?? whole;
  });
}

const clean = (s: string) => decodeEntities(s).replace(/\s+/g, ' ').trim();

/** HTML to blocks: h1–h6 become headings, block elements end paragraphs, scripts and styles are dropped. */
export function extractHtml(source: string, fallbackTitle: string): ExtractedDocument {
  const titleTag = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(source);
  const body = source.replace(COMMENT, '').replace(DROPPED, ' ');
  const blocks: Block[] = [];
  let buffer = '';
  let heading: number | undefined;
  const flush = () => {
    const text = clean(buffer);
    buffer = '';
    if (!text) return;
    if (heading !== undefined) blocks.push({ kind: 'heading', level: heading, text });
    else blocks.push({ kind: 'paragraph', text });
  };
  let last = 0;
  for (const match of body.matchAll(TAG)) {
    buffer += body.slice(last, match.index);
    last = match.index + match[0].length;
    const closing = match[1] === '/';
    const name = match[2]!.toLowerCase();
    const level = /^h([1-6])$/.exec(name);
    if (level) {
      flush();
      heading = closing ? undefined : Number(level[1]);
    } else if (BLOCK_TAGS.has(name)) {
      if (name === 'td' || name === 'th') buffer += ' ';
      else if (heading === undefined) flush();
    }
  }
  buffer += body.slice(last);
  flush();
  const firstH1 = blocks.find((b) => b.kind === 'heading' && b.level === 1)?.text;
  const title = (titleTag && clean(titleTag[1]!)) || firstH1 || fallbackTitle;
  return { title, blocks };
}
