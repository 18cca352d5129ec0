import { fields } from '../input.js';
import { resolveLanguage, type ComposedLanguage } from '../language.js';
import type { Composer } from './types.js';

const HANDOVER: Record<ComposedLanguage, string> = {
  en: 'I cannot answer this automatically right now; a colleague will follow up with you shortly.',
  de: 'Ich kann diese Frage gerade nicht automatisch beantworten; eine Kollegin oder ein Kollege meldet sich in Kürze bei Ihnen.',
  fr: 'Je ne peux pas répondre automatiquement à cette question pour le moment ; un collègue reviendra vers vous rapidement.',
  es: 'En este momento no puedo responder automáticamente a esta pregunta; un compañero se pondrá en contacto con usted en breve.',
  it: 'Al momento non posso rispondere automaticamente a questa domanda; un collega la ricontatterà a breve.',
  nl: 'Ik kan deze vraag nu niet automatisch beantwoorden; een collega neemt binnenkort contact met u op.',
};

/** `support.policy_answer`: never guesses a policy; hands the question over to a person, citing nothing. */
export const composePolicyAnswer: Composer = (input) => {
  const { language } = resolveLanguage(fields(input).language);
  return { answer: HANDOVER[language], citations: [] };
};
