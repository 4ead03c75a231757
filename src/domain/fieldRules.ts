/**
 * One rule per capture field: how many digits the caller may type, and whether an entry is valid.
 * A `-matcher` capture is its field typed a second time: the same length, valid only when equal to the
 * value already accepted for the field. An empty entry (only `#`) is invalid for every field.
 *
 * The postal code and the routing number are shown in clear once accepted, and could hold more than the six
 * leading digits of a card number that PCI DSS lets be shown. So they never end by themselves at their longest:
 * they end on `#` or the timeout, and one digit more than they can hold ends them refused (a caller typing the card
 * number where the postal code was asked), before anything of it is shown. The expiry, four digits, ends at four.
 */
import { cardNumberLengths, checkCardNumber, maxCardNumberLength, securityCodeLength } from './cards.js';
import { BANK_FIELDS, CARD_FIELDS } from './types.js';
import type { BankField, CaptureName, CardField, CardType, ErrorType, MatcherField, PaymentSettings, Session } from './types.js';

/** What a rule may look at besides the digits. */
export interface FieldContext {
  settings: PaymentSettings;
  values: Session['values'];
  /** The type of the accepted card number, if any. */
  cardType: CardType | null;
  now: number;
}

export interface FieldRule {
  /** The most digits the field holds. */
  maxLength(typed: string, context: FieldContext): number;
  /** Whether the field ends by itself once `maxLength` digits are typed; if not, one more digit ends it refused. */
  endsAtLongest: boolean;
  validate(digits: string, context: FieldContext): ErrorType | null;
}

const MATCHER_SUFFIX = '-matcher';
/** The longest postal code typed on a keypad (a US ZIP+4 is 9 digits; some countries use 10). */
export const POSTAL_CODE_MAX = 10;
/** A US bank account number on a keypad. */
const BANK_ACCOUNT_DIGITS = { min: 4, max: 17 };

function fixedLength(length: number): FieldRule['maxLength'] {
  return () => length;
}

function validWhen(ok: boolean, error: ErrorType): ErrorType | null {
  return ok ? null : error;
}

/** MMYY, a real month, not before the current month (UTC). */
function isFutureExpiry(digits: string, now: number): boolean {
  const match = /^(\d{2})(\d{2})$/.exec(digits);
  if (!match) return false;
  const month = Number(match[1]);
  const year = 2000 + Number(match[2]);
  const today = new Date(now);
  return month >= 1 && month <= 12 && year * 12 + month - 1 >= today.getUTCFullYear() * 12 + today.getUTCMonth();
}

/** ABA routing number checksum: weights 3, 7, 1 repeated; the weighted sum is a multiple of 10. */
function isAbaRoutingNumber(digits: string): boolean {
  if (!/^\d{9}$/.test(digits)) return false;
  const weights = [3, 7, 1, 3, 7, 1, 3, 7, 1];
  const sum = weights.reduce((total, weight, i) => total + weight * Number(digits[i]), 0);
  return sum % 10 === 0;
}

export const FIELD_RULES: Readonly<Record<CardField | BankField, FieldRule>> = {
  'payment-card-number': {
    maxLength: (typed) => maxCardNumberLength(typed),
    endsAtLongest: true,
    validate(digits, { settings }) {
      const check = checkCardNumber(digits, settings.validCardTypes);
      return check.ok ? null : check.error;
    },
  },
  'expiration-date': {
    maxLength: fixedLength(4),
    endsAtLongest: true,
    validate: (digits, { now }) => validWhen(isFutureExpiry(digits, now), 'invalid-date'),
  },
  'security-code': {
    maxLength: (_typed, { cardType }) => securityCodeLength(cardType),
    endsAtLongest: true,
    validate: (digits, { cardType }) =>
      validWhen(/^\d+$/.test(digits) && digits.length === securityCodeLength(cardType), 'invalid-security-code'),
  },
  'postal-code': {
    maxLength: fixedLength(POSTAL_CODE_MAX),
    endsAtLongest: false,
    validate: (digits, { settings }) =>
      validWhen(/^\d+$/.test(digits) && digits.length >= settings.minPostalCodeLength && digits.length <= POSTAL_CODE_MAX, 'invalid-postal-code'),
  },
  'bank-routing-number': {
    maxLength: fixedLength(9),
    endsAtLongest: false,
    validate: (digits) => validWhen(isAbaRoutingNumber(digits), 'invalid-bank-routing-number'),
  },
  'bank-account-number': {
    maxLength: fixedLength(BANK_ACCOUNT_DIGITS.max),
    endsAtLongest: true,
    validate: (digits) =>
      validWhen(/^\d+$/.test(digits) && digits.length >= BANK_ACCOUNT_DIGITS.min && digits.length <= BANK_ACCOUNT_DIGITS.max, 'invalid-bank-account-number'),
  },
};

export function isMatcher(name: CaptureName): name is MatcherField {
  return name.endsWith(MATCHER_SUFFIX);
}

/**
 * The field a capture name enters.
 *
 * @example
 *   baseField('postal-code-matcher'); // 'postal-code'
 */
export function baseField(name: CaptureName): CardField | BankField {
  return isMatcher(name) ? (name.slice(0, -MATCHER_SUFFIX.length) as CardField | BankField) : name;
}

export function matcherOf(field: CardField | BankField): MatcherField {
  return `${field}${MATCHER_SUFFIX}`;
}

/**
 * The rule for any capture name, matchers included.
 *
 * @example
 *   fieldRule('expiration-date').validate('1399', context); // 'invalid-date'
 */
export function fieldRule(name: CaptureName): FieldRule {
  const field = FIELD_RULES[baseField(name)];
  if (!isMatcher(name)) return field;
  return {
    maxLength: field.maxLength,
    endsAtLongest: field.endsAtLongest,
    validate: (digits, { values }) => validWhen(digits === values[baseField(name)], 'input-matching-failed'),
  };
}

function isCardFieldAsked(field: CardField, settings: PaymentSettings): boolean {
  if (field === 'security-code') return settings.securityCode;
  if (field === 'postal-code') return settings.postalCode;
  return true;
}

/**
 * Every capture the session asks of the caller, in the order `Required` lists them.
 *
 * @example
 *   requestedFields(achSettings); // ['bank-routing-number', 'bank-account-number']
 */
export function requestedFields(settings: PaymentSettings): CaptureName[] {
  const fields = settings.paymentMethod === 'ach-debit' ? [...BANK_FIELDS] : CARD_FIELDS.filter((field) => isCardFieldAsked(field, settings));
  return fields.flatMap((field) => (settings.requireMatchingInputs.includes(field) ? [field, matcherOf(field)] : [field]));
}

/**
 * How many digits the caller is asked for, as the phone and the console say it: `4`, `3`, `5-10`, `12-19`.
 *
 * @example
 *   expectedDigits('postal-code', context); // '5-10' with MinPostalCodeLength=5
 */
export function expectedDigits(name: CaptureName, context: FieldContext): string {
  const { min, max } = digitRange(baseField(name), context);
  return min === max ? String(min) : `${min}-${max}`;
}

function digitRange(field: CardField | BankField, context: FieldContext): { min: number; max: number } {
  const { settings, cardType } = context;
  switch (field) {
    case 'payment-card-number':
      return cardNumberLengths(settings.validCardTypes);
    case 'security-code':
      return { min: securityCodeLength(cardType), max: securityCodeLength(cardType) };
    case 'postal-code':
      return { min: Math.max(1, settings.minPostalCodeLength), max: POSTAL_CODE_MAX };
    case 'bank-account-number':
      return BANK_ACCOUNT_DIGITS;
    default:
      return { min: FIELD_RULES[field].maxLength('', context), max: FIELD_RULES[field].maxLength('', context) };
  }
}
