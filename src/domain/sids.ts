/**
 * Twilio-style identifiers and secrets: a two-letter prefix plus 32 lowercase hex characters
 * (`AC` account, `CA` call, `PK` pay session, `SK` API key, `PN` phone number, `NO` notification). The random source
 * and the clock are parameters so the domain stays free of hidden I/O; they default to node:crypto (through the
 * pool for SIDs, which are not secret) and `Date.now`.
 *
 * A SID begins with the millisecond it was made (12 hex characters) and ends with 80 random bits (20). Every table
 * and index keyed by a SID (sessions, calls, their events, the audit trail by session and by call) then takes new
 * rows at its end, as it does rows keyed by time: a commit of many new sessions rewrites the last page or two of
 * each index instead of one page at a random place per session, in the database, its WAL and its cache. The
 * price is that a SID shows when it was made, to the millisecond, which the resource's `date_created` shows anyway;
 * 80 random bits still leave it unguessable, and nothing is allowed by knowing a SID without the credentials.
 *
 * @example
 *   const sid = newSid('PK');          // 'PK3f0c...' (34 chars)
 *   isSid('PK', sid);                  // true
 */
import { randomBytes } from 'node:crypto';
import { pooledRandomBytes } from './randomPool.js';

export type SidPrefix = 'AC' | 'CA' | 'PK' | 'SK' | 'PN' | 'NO';

export type RandomSource = (bytes: number) => Buffer;

const SID_PATTERNS: Record<SidPrefix, RegExp> = {
  AC: /^AC[0-9a-f]{32}$/i,
  CA: /^CA[0-9a-f]{32}$/i,
  PK: /^PK[0-9a-f]{32}$/i,
  SK: /^SK[0-9a-f]{32}$/i,
  PN: /^PN[0-9a-f]{32}$/i,
  NO: /^NO[0-9a-f]{32}$/i,
};

const SECRET_PATTERN = /^[0-9a-f]{32}$/i;

/** Hex characters of the creation time: 48 bits of milliseconds last until the year 10889. */
const TIME_HEX = 12;
const RANDOM_BYTES = (32 - TIME_HEX) / 2;

/**
 * A fresh SID with the given prefix: the time it was made, then random hex.
 *
 * @example
 *   newSid('CA'); // 'CA' + 32 hex characters, e.g. 'CA019ae3c1f2a0' + 20 random hex
 */
export function newSid(prefix: SidPrefix, random: RandomSource = pooledRandomBytes, now: () => number = Date.now): string {
  // A clock before 1970 or past 2^48 ms orders nothing, but the SID keeps its shape.
  const ms = Math.max(0, Math.floor(now())) % 2 ** (TIME_HEX * 4);
  return prefix + ms.toString(16).padStart(TIME_HEX, '0') + random(RANDOM_BYTES).toString('hex');
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
