/**
 * Twilio-style identifiers and secrets: a two-letter prefix plus 32 lowercase hex characters
 * (`AC` account, `CA` call, `PK` pay session, `SK` API key). The random source is a parameter so
 * the domain stays free of hidden I/O; it defaults to node:crypto (through the pool for SIDs, which are not secret).
 *
 * @example
 *   const sid = newSid('PK');          // 'PK3f0c...' (34 chars)
 *   isSid('PK', sid);                  // true
 */
import { randomBytes } from 'node:crypto';
import { pooledRandomBytes } from './randomPool.js';

export type SidPrefix = 'AC' | 'CA' | 'PK' | 'SK';

export type RandomSource = (bytes: number) => Buffer;

const SID_PATTERNS: Record<SidPrefix, RegExp> = {
  AC: /^AC[0-9a-f]{32}$/i,
  CA: /^CA[0-9a-f]{32}$/i,
  PK: /^PK[0-9a-f]{32}$/i,
  SK: /^SK[0-9a-f]{32}$/i,
};

const SECRET_PATTERN = /^[0-9a-f]{32}$/i;

/**
 * A fresh SID with the given prefix.
 *
 * @example
 *   newSid('CA'); // 'CA' + 32 hex characters
 */
export function newSid(prefix: SidPrefix, random: RandomSource = pooledRandomBytes): string {
  return prefix + random(16).toString('hex');
}

/**
 * Whether `value` is a SID with that prefix. Hex digits of either case are accepted, as Twilio does.
 *
 * @example
 *   isSid('AC', 'AC' + 'a'.repeat(32)); // true
 */
export function isSid(prefix: SidPrefix, value: unknown): value is string {
  return typeof value === 'string' && SID_PATTERNS[prefix].test(value);
}

/**
 * A fresh 32-hex-character secret: an account auth token or an API key secret.
 *
 * @example
 *   const authToken = newSecret();
 */
export function newSecret(random: RandomSource = randomBytes): string {
  return random(16).toString('hex');
}

/**
 * Whether `value` has the shape of a secret made by `newSecret` (32 hex characters), as Twilio auth tokens do.
 *
 * @example
 *   isSecret('0123456789abcdef0123456789abcdef'); // true
 */
export function isSecret(value: unknown): value is string {
  return typeof value === 'string' && SECRET_PATTERN.test(value);
}
