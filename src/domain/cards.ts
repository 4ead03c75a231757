/**
 * Payment card types: detection by prefix and length (the `credit-card-type` library), the Luhn check
 * (`card-validator`), and the mapping to the type names Twilio uses in `ValidCardTypes` and `PaymentCardType`.
 */
import creditCardType from 'credit-card-type';
import luhn10 from 'card-validator/dist/luhn-10.js';
import type { CardType } from './types.js';
import { BoundedMemory } from './boundedMemory.js';

/*
 * Twilio still accepts enRoute cards, which the library does not know. Registering the type is idempotent.
 * enRoute numbers carry no Luhn check digit.
 */
creditCardType.addCard({
  niceType: 'enRoute',
  type: 'enroute',
  patterns: [2014, 2149],
  gaps: [4, 10],
  lengths: [15],
  code: { name: 'CVV', size: 3 },
});

const LIBRARY_TO_TWILIO: Readonly<Record<string, CardType>> = {
  visa: 'visa',
  mastercard: 'mastercard',
  'american-express': 'amex',
  'diners-club': 'diners-club',
  discover: 'discover',
  jcb: 'jcb',
  maestro: 'maestro',
  enroute: 'enroute',
};

const TWILIO_TO_LIBRARY: Readonly<Record<CardType, string>> = {
  visa: 'visa',
  mastercard: 'mastercard',
  amex: 'american-express',
  optima: 'american-express',
  'diners-club': 'diners-club',
  discover: 'discover',
  jcb: 'jcb',
  maestro: 'maestro',
  enroute: 'enroute',
};

/** When the number typed so far fits no single type, the longest any card can be. */
export const MAX_CARD_NUMBER_LENGTH = 19;
const DEFAULT_GAPS = [4, 8, 12];
const DEFAULT_SECURITY_CODE_LENGTH = 3;

export type CardNumberCheck = { ok: true; cardType: CardType } | { ok: false; error: 'invalid-card-number' | 'invalid-card-type' };

type CardTypeInfo = ReturnType<typeof creditCardType.getTypeInfo>;

/** The longest prefix pattern of any card type: no digit after this many changes what the library decides. */
const DECIDING_DIGITS = Math.max(
  ...creditCardType('').flatMap((info) => info.patterns.flatMap((pattern) => (Array.isArray(pattern) ? pattern : [pattern]).map((p) => String(p).length))),
);
/**
 * The library copies every card type it looks at, which made it the costliest part of a keypress; what it
 * decided is remembered per prefix of DECIDING_DIGITS digits (an issuer number, never a card number).
 */
const detected = new BoundedMemory<string, CardTypeInfo | null>(10_000);
const typeInfos = new BoundedMemory<CardType, CardTypeInfo>(Object.keys(TWILIO_TO_LIBRARY).length);

/** The one library card type the digits fit, or null while several (or none) do. */
function detect(digits: string): CardTypeInfo | null {
  const prefix = digits.slice(0, DECIDING_DIGITS);
  return detected.remember(prefix, () => {
    const matches = creditCardType(prefix);
    return matches.length === 1 ? (matches[0] ?? null) : null;
  });
}

function typeInfo(cardType: CardType): CardTypeInfo {
  return typeInfos.remember(cardType, () => creditCardType.getTypeInfo(TWILIO_TO_LIBRARY[cardType]));
}

/**
 * Twilio's name for the card type the digits (complete or partial) belong to, or null when unknown,
 * still ambiguous, or a type Twilio does not name.
 *
 * @example
 *   detectCardType('3782'); // 'amex'
 */
export function detectCardType(digits: string): CardType | null {
  const info = detect(digits);
  return info ? (LIBRARY_TO_TWILIO[info.type] ?? null) : null;
}

/**
 * How many digits the caller may type for a card number that starts with `digits`.
 *
 * @example
 *   maxCardNumberLength('5555'); // 16
 */
export function maxCardNumberLength(digits: string): number {
  const info = detect(digits);
  return info ? Math.max(...info.lengths) : MAX_CARD_NUMBER_LENGTH;
}

/**
 * The shortest and the longest card number of the types a session accepts, for telling the caller what to type.
 *
 * @example
 *   cardNumberLengths(['amex']); // { min: 15, max: 15 }
 */
export function cardNumberLengths(validCardTypes: readonly CardType[]): { min: number; max: number } {
  const lengths = validCardTypes.flatMap((cardType) => typeInfo(cardType).lengths);
  return lengths.length === 0 ? { min: MAX_CARD_NUMBER_LENGTH, max: MAX_CARD_NUMBER_LENGTH } : { min: Math.min(...lengths), max: Math.max(...lengths) };
}

/**
 * Where the card's printed groups break (`[4, 8, 12]`, amex `[4, 10]`).
 *
 * @example
 *   cardGaps('amex'); // [4, 10]
 */
export function cardGaps(cardType: CardType | null): number[] {
  return cardType ? typeInfo(cardType).gaps : DEFAULT_GAPS;
}

/**
 * The length of the card's security code: 4 for amex, 3 otherwise.
 *
 * @example
 *   securityCodeLength('amex'); // 4
 */
export function securityCodeLength(cardType: CardType | null): number {
  return cardType ? typeInfo(cardType).code.size : DEFAULT_SECURITY_CODE_LENGTH;
}

/** Optima cards are American Express cards: either name in ValidCardTypes accepts them. */
function isAccepted(cardType: CardType, validCardTypes: readonly CardType[]): boolean {
  return validCardTypes.includes(cardType) || (cardType === 'amex' && validCardTypes.includes('optima'));
}

/**
 * Checks a complete card number: known type, a length of that type, Luhn (except enRoute), and a type the
 * session accepts. A card of a type Twilio does not name (UnionPay, Mir...) is a valid card of a refused type.
 *
 * @example
 *   checkCardNumber(amexCardNumber, ['visa', 'optima']); // { ok: true, cardType: 'amex' }
 */
export function checkCardNumber(digits: string, validCardTypes: readonly CardType[]): CardNumberCheck {
  const info = detect(digits);
  if (!info || !info.lengths.includes(digits.length)) return { ok: false, error: 'invalid-card-number' };
  if (info.type !== 'enroute' && !luhn10(digits)) return { ok: false, error: 'invalid-card-number' };
  const cardType = LIBRARY_TO_TWILIO[info.type];
  if (!cardType || !isAccepted(cardType, validCardTypes)) return { ok: false, error: 'invalid-card-type' };
  return { ok: true, cardType };
}
