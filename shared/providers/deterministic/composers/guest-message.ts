import { clamp, fields, text } from '../input.js';
import { resolveLanguage } from '../language.js';
import { MESSAGE_TEXTS, type MessageTexts, type Purpose } from './guest-message-texts.js';
import type { Composer } from './types.js';

const BODY_MAX = 4000;
const SUBJECT_MAX = 150;
const FACT_VALUE_MAX = 300;

function purposeOf(value: unknown): Purpose {
  return typeof value === 'string' && value !== 'other' && Object.hasOwn(MESSAGE_TEXTS.en.purposes, value) ? (value as Purpose) : 'other';
}

/** `check_in_time` → `Check in time`. */
function label(key: string): string {
  const words = key.replace(/[_-]+/g, ' ').trim();
  return words === '' ? key : words.charAt(0).toUpperCase() + words.slice(1);
}

function factLines(facts: Record<string, unknown>, texts: MessageTexts): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(facts)) {
    let shown: string;
    if (typeof value === 'boolean') shown = value ? texts.yes : texts.no;
    else if (typeof value === 'string' || typeof value === 'number') shown = String(value).replace(/\s+/g, ' ').trim();
    else continue;
    if (shown !== '') lines.push(`- ${clamp(label(key), 80)}: ${clamp(shown, FACT_VALUE_MAX)}`);
  }
  return lines;
}

/**
 * `notification.guest_message_draft`: a templated message in the requested language (en, de, fr, es, it,
 * nl; English otherwise) that states only the facts it was given.
 */
export const composeGuestMessage: Composer = (input) => {
  const data = fields(input);
  const { language, tag } = resolveLanguage(data.language);
  const texts = MESSAGE_TEXTS[language];
  const { subject, opening } = texts.purposes[purposeOf(data.purpose)];
  const name = clamp(text(data.guest_name, '').replace(/\s+/g, ' '), 120);

  // Without a name, `Dear ,` becomes `Dear,`.
  const head = `${texts.greeting(name).replace(/\s+([,:])$/, '$1')}\n\n${opening}`;
  const tail = `\n\n${texts.closing}`;
  const lines = factLines(fields(data.facts), texts);
  let body = head;
  if (lines.length > 0) {
    // Facts are kept whole: the ones that do not fit are left out rather than cut mid-line.
    let block = `\n\n${texts.factsIntro}`;
    for (const line of lines) {
      if (body.length + block.length + line.length + 1 + tail.length > BODY_MAX) break;
      block += `\n${line}`;
    }
    if (block.includes('\n- ')) body += block;
  }
  return { subject: clamp(subject, SUBJECT_MAX), body: clamp(body + tail, BODY_MAX), language: tag };
};
