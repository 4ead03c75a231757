/**
 * Readers for Twilio-style form parameters, shared by the Payments and Calls parsers.
 *
 * The HTTP layer hands over `application/x-www-form-urlencoded` bodies already decoded (`+` and `%20` are
 * spaces; a repeated key becomes an array). Real clients need some leniency: an empty value means "not
 * given" and booleans come as `true` or `True` (Python). Every rejection is a 64020 that names the
 * parameter, shows the bad value and says what is allowed.
 *
 * @example
 *   const timeout = formInteger(form, 'Timeout', { min: 1, max: 600 }) ?? 5;
 */
import { payError } from './errors.js';

export type FormValues = Record<string, string | string[]>;

/** The longest stretch of a bad value that an error message repeats back. */
const SHOWN_VALUE_MAX = 40;
/**
 * Card numbers are 12-19 digits, often written in groups (`4242 4242 4242 4242`, `4242-4242-...`): a value sent in
 * the wrong parameter must not be echoed in clear, however it is spaced.
 */
const LONG_DIGIT_RUN = /\d(?:[\s./-]*\d){11,}/g;

/**
 * A bad value as an error message may quote it: long digit runs masked, long values cut short.
 *
 * @example
 *   shownValue(cardNumberSentInTheWrongField) // '"************4242"'
 *   shownValue(spacedCardNumber)              // '"**** **** **** 4242"'
 */
export function shownValue(value: string): string {
  const masked = maskDigitRuns(value);
  const cut = masked.length > SHOWN_VALUE_MAX ? `${masked.slice(0, SHOWN_VALUE_MAX)}...` : masked;
  return JSON.stringify(cut);
}

/**
 * Text with every run of 12 or more digits (a card number, wherever it turns up, grouped or not) masked but
 * its last 4 digits; the separators stay.
 *
 * @example
 *   maskDigitRuns('card 1234567890123456 declined') // 'card ************3456 declined'
 */
export function maskDigitRuns(text: string): string {
  return text.replace(LONG_DIGIT_RUN, (run) => {
    let visible = 4;
    const kept = [...run].reverse().map((c) => (/\d/.test(c) && visible-- <= 0 ? '*' : c));
    return kept.reverse().join('');
  });
}

/**
 * The value of one parameter, or undefined when it is absent or empty.
 *
 * @example
 *   formValue({ Currency: 'usd' }, 'Currency') // 'usd'
 *   formValue({ Currency: '' }, 'Currency')    // undefined
 */
export function formValue(form: FormValues, name: string): string | undefined {
  const raw = form[name];
  if (Array.isArray(raw)) {
    const given = raw.filter((v) => v !== '');
    if (given.length > 1) throw payError(64020, `${name} was given ${given.length} times; give it once.`);
    return given[0];
  }
  return raw === '' ? undefined : raw;
}

/**
 * A present parameter, or a 64020 that says it is missing.
 *
 * @example
 *   const key = formRequired(form, 'IdempotencyKey');
 */
export function formRequired(form: FormValues, name: string): string {
  const value = formValue(form, name);
  if (value === undefined) throw payError(64020, `Missing required parameter ${name} in the post body.`);
  return value;
}

/**
 * `true` or `false` in any letter case (the Python client sends `True`).
 *
 * @example
 *   formBoolean({ PostalCode: 'False' }, 'PostalCode') // false
 */
export function formBoolean(form: FormValues, name: string): boolean | undefined {
  const value = formValue(form, name);
  if (value === undefined) return undefined;
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw payError(64020, `${name} must be true or false; got ${shownValue(value)}.`);
}

/**
 * A whole number within an inclusive range.
 *
 * @example
 *   formInteger({ Timeout: '30' }, 'Timeout', { min: 1, max: 600 }) // 30
 */
export function formInteger(form: FormValues, name: string, range: { min: number; max: number }): number | undefined {
  const value = formValue(form, name);
  if (value === undefined) return undefined;
  const n = /^[+-]?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
    throw payError(64020, `${name} must be a whole number from ${range.min} to ${range.max}; got ${shownValue(value)}.`);
  }
  return n;
}

/**
 * One value of a fixed list, returned as spelled in the list.
 * `ignoreCase` is for parameters that Twilio itself treats case-insensitively (`Input`, HTTP methods).
 *
 * @example
 *   formEnum({ TokenType: 'one-time' }, 'TokenType', TOKEN_TYPES) // 'one-time'
 */
export function formEnum<T extends string>(
  form: FormValues,
  name: string,
  allowed: readonly T[],
  options: { ignoreCase?: boolean } = {},
): T | undefined {
  const value = formValue(form, name);
  if (value === undefined) return undefined;
  const wanted = options.ignoreCase ? value.toLowerCase() : value;
  const match = allowed.find((a) => (options.ignoreCase ? a.toLowerCase() : a) === wanted);
  if (match === undefined) {
    throw payError(64020, `${name} must be one of ${allowed.join(', ')}; got ${shownValue(value)}.`);
  }
  return match;
}

/**
 * Whether a value is an absolute `http:` or `https:` URL, the only kind paytone calls back or fetches.
 *
 * @example
 *   isAbsoluteHttpUrl('https://example.com/pay') // true
 *   isAbsoluteHttpUrl('/pay')                    // false
 */
export function isAbsoluteHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const { protocol, host } = new URL(value);
  return (protocol === 'http:' || protocol === 'https:') && host !== '';
}
