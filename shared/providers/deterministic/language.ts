/** Languages the deterministic composers write; any other request is answered in English. */
export const COMPOSED_LANGUAGES = ['en', 'de', 'fr', 'es', 'it', 'nl'] as const;
export type ComposedLanguage = (typeof COMPOSED_LANGUAGES)[number];

const LANGUAGE_TAG = /^([a-z]{2})(-[A-Z]{2})?$/;

/**
 * The language to write in, and the tag to report: the requested tag (`de-CH`) when its base language
 * is composed, `en` otherwise (the output then says honestly that it is English).
 */
export function resolveLanguage(requested: unknown): { language: ComposedLanguage; tag: string } {
  const match = typeof requested === 'string' ? LANGUAGE_TAG.exec(requested) : null;
  const base = match?.[1];
  if (base && (COMPOSED_LANGUAGES as readonly string[]).includes(base)) return { language: base as ComposedLanguage, tag: requested as string };
  return { language: 'en', tag: 'en' };
}
