import { composeGuestMessage } from './guest-message.js';
import { composePolicyAnswer } from './policy-answer.js';
import type { Composer } from './types.js';
import { composeUpsellOffer } from './upsell-offer.js';

/** Rule-based answers of the shipped capabilities; any other capability gets the schema-driven filler. */
export const COMPOSERS: Readonly<Record<string, Composer>> = {
  'reservation.upsell_offer': composeUpsellOffer,
  'notification.guest_message_draft': composeGuestMessage,
  'support.policy_answer': composePolicyAnswer,
};

export type { Composer } from './types.js';
