import { clamp, fields, text, wholeNumber } from '../input.js';
import type { Composer } from './types.js';

interface Stay {
  roomType: string;
  nights: number;
  guests: number;
  tier: string;
  premiumRoom: boolean;
  topTier: boolean;
  weekendArrival: boolean;
}

interface OfferRule {
  code: string;
  title: string;
  /** undefined: not offered for this stay; otherwise a higher score ranks first. */
  score(stay: Stay): number | undefined;
  pitch(stay: Stay): string;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

// Listed in tie-break order: on equal scores the earlier rule wins.
const RULES: OfferRule[] = [
  {
    code: 'ROOM_UPGRADE',
    title: 'Room upgrade',
    score: (s) => (s.premiumRoom ? undefined : 3 + (s.topTier ? 1 : 0) + (s.nights >= 3 ? 1 : 0)),
    pitch: (s) => `Enjoy more space and comfort: upgrade your ${s.roomType} room to the next category for your whole stay (${plural(s.nights, 'night', 'nights')}).`,
  },
  {
    code: 'BREAKFAST',
    title: 'Breakfast included',
    score: () => 3,
    pitch: (s) => `Start every morning of your stay relaxed with breakfast for ${plural(s.guests, 'guest', 'guests')}.`,
  },
  {
    code: 'LATE_CHECKOUT',
    title: 'Late checkout',
    // Platinum members usually have late checkout as a perk already.
    score: (s) => (s.tier === 'platinum' ? undefined : 2 + (s.nights <= 2 ? 1 : 0) + (s.weekendArrival ? 1 : 0)),
    pitch: () => 'Keep your room until the afternoon on your day of departure and leave without rushing.',
  },
  {
    code: 'SPA_ACCESS',
    title: 'Spa access',
    score: (s) => (s.nights >= 2 ? 1 + (s.topTier ? 2 : 0) : undefined),
    pitch: (s) => `Unwind after your day with spa access during your ${plural(s.nights, 'night', 'nights')} with us.`,
  },
  {
    code: 'PARKING',
    title: 'Reserved parking',
    // Groups of three or more mostly arrive by car.
    score: (s) => (s.guests >= 3 ? 2 : undefined),
    pitch: (s) => `Arriving by car with ${plural(s.guests, 'guest', 'guests')}? Reserve a parking space and skip the search.`,
  },
  {
    code: 'EARLY_CHECKIN',
    title: 'Early check-in',
    score: () => 1,
    pitch: () => 'Check in from the late morning so your stay starts as soon as you arrive.',
  },
];

const PREMIUM_ROOM = /suite|penthouse|villa|presidential/i;

function isWeekend(date: string): boolean {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day === 5 || day === 6;
}

function readStay(input: unknown): Stay {
  const reservation = fields(fields(input).reservation);
  const tier = text(fields(fields(input).guest).tier, 'standard').toLowerCase();
  const roomType = clamp(text(reservation.room_type, 'standard'), 64);
  const nights = Math.max(1, wholeNumber(reservation.nights, 1));
  return {
    roomType,
    nights,
    guests: Math.max(1, wholeNumber(reservation.guests, 1)),
    tier,
    premiumRoom: PREMIUM_ROOM.test(roomType),
    topTier: tier === 'gold' || tier === 'platinum',
    weekendArrival: nights <= 2 && isWeekend(text(reservation.arrival_date, '')),
  };
}

/** `reservation.upsell_offer`: up to three offers ranked by simple stay rules. */
export const composeUpsellOffer: Composer = (input) => {
  const stay = readStay(input);
  const ranked = RULES.map((rule, order) => ({ rule, order, score: rule.score(stay) }))
    .filter((r): r is typeof r & { score: number } => r.score !== undefined)
    .sort((a, b) => b.score - a.score || a.order - b.order)
    .slice(0, 3);
  const offers = ranked.map(({ rule }) => ({ code: rule.code, title: rule.title, pitch: clamp(rule.pitch(stay), 400) }));
  const reason =
    `Rule-based suggestions for a ${stay.nights}-night stay in a ${stay.roomType} room ` +
    `for ${plural(stay.guests, 'guest', 'guests')}, ${stay.tier} tier: ${offers.map((o) => o.title.toLowerCase()).join(', ')}.`;
  return { offers, reason: clamp(reason, 400) };
};
