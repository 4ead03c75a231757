/**
 * HTTP Basic authentication as Twilio does it: `AccountSid:AuthToken`, or `ApiKeySid:ApiKeySecret` for a key
 * of the account named in the URL path. Credentials of one account never open another account's path.
 *
 * Every check reads what proves the credential from the database, so a key deleted or a token changed by any
 * process stops working at once everywhere. A key secret is checked with scrypt (tens of milliseconds of CPU), so:
 * 1. an auth token, or a key secret this process has already proved against the same stored hash, is checked
 *    without hashing, and is never throttled;
 * 2. otherwise failures are counted per source address and per credential SID, and one that is locked is answered
 *    429 before any hashing (`PAYTONE_AUTH_LOCKOUT`, `PAYTONE_AUTH_ADDRESS_LOCKOUT`);
 * 3. at most a few hashes run at once and a few more wait; the rest are answered 429 (`WorkSlots`);
 * 4. an unknown key SID is hashed against a hash nothing matches, so it costs what a known one costs.
 *
 * @example
 *   const auth = new Authenticator(accounts, { perCredential: { max: 10, windowMs: 1_800_000 }, perAddress: { max: 50, windowMs: 600_000 } });
 *   const outcome = await auth.authenticate(request.headers.authorization, params.AccountSid, request.ip);
 *   if ('principal' in outcome) use(outcome.principal);
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isSid } from '../domain/sids.js';
import { BoundedMemory } from '../domain/boundedMemory.js';
import { FailureThrottle, type FailureLimit } from '../domain/failureThrottle.js';
import { UNKNOWN_KEY_HASH, secretMatches, type AccountStore } from '../store/accounts.js';
import { WorkSlots } from './workSlots.js';

export interface Principal {
  accountSid: string;
  /** The username that proved it (an AC... or SK... sid), for audit logs. */
  credential: string;
  /** What proved it as stored (a sealed token, a secret hash): when it changes or goes, the credential is revoked. */
  fingerprint: string;
}

export type Authentication =
  | { principal: Principal }
  /** Wrong, missing or malformed credentials (401). */
  | { refused: 'credentials'; credential: string | null }
  /** Turned away before anything costly was done (429). */
  | { refused: 'throttled'; credential: string | null; retryAfterSeconds: number; why: string };

export interface AuthenticatorOptions {
  perCredential: FailureLimit;
  perAddress: FailureLimit;
  /** Key-secret hashes at once, and waiting for a turn. */
  hashing?: { concurrent: number; queued: number };
  now?: () => number;
  /** The key-secret check (scrypt); tests count its calls. */
  matches?: (secret: string, secretHash: string) => Promise<boolean>;
}

export const AUTH_HASHING = { concurrent: 2, queued: 32 };
/** Key secrets proved in this process, remembered by digest with the hash they matched. */
const PROVED_LIMIT = 1000;

export class Authenticator {
  readonly #accounts: AccountStore;
  readonly #perCredential: FailureThrottle;
  readonly #perAddress: FailureThrottle;
  readonly #hashing: WorkSlots;
  readonly #matches: (secret: string, secretHash: string) => Promise<boolean>;
  /** sha256(sid:secret) -> the stored hash it matched. */
  readonly #proved = new BoundedMemory<string, string>(PROVED_LIMIT);

  constructor(accounts: AccountStore, options: AuthenticatorOptions) {
    const now = options.now ?? Date.now;
    this.#accounts = accounts;
    this.#perCredential = new FailureThrottle(options.perCredential, now);
    this.#perAddress = new FailureThrottle(options.perAddress, now);
    const hashing = options.hashing ?? AUTH_HASHING;
    this.#hashing = new WorkSlots(hashing.concurrent, hashing.queued);
    this.#matches = options.matches ?? secretMatches;
  }

  /**
   * Checks an Authorization header for the account in the URL path, from `sourceAddress`. With `pathAccountSid`
   * null (a route whose path names no account, as `/mcp`), the credential opens its own account: the account's
   * sid with its auth token, or the account an API key belongs to.
   *
   * @example
   *   await auth.authenticate('Basic ' + Buffer.from(`${sid}:${token}`).toString('base64'), sid, '127.0.0.1'); // { principal: { accountSid: sid, credential: sid, ... } }
   */
  async authenticate(authorizationHeader: string | undefined, pathAccountSid: string | null, sourceAddress: string): Promise<Authentication> {
    // No header at all is no guess: clients that wait to be asked (curl --anyauth) send one next.
    if (authorizationHeader === undefined) return { refused: 'credentials', credential: null };
    const basic = parseBasic(authorizationHeader);
    const credential = credentialSidOf(authorizationHeader);
    if (!basic || credential === null) return this.#failed(sourceAddress, null);
    if (isSid('AC', credential)) {
      const proof = await this.#accounts.authTokenProof(credential);
      const proved = proof !== null && equalInConstantTime(basic.password, proof.token) && (pathAccountSid === null || credential === pathAccountSid);
      return proved ? { principal: { accountSid: credential, credential, fingerprint: proof.sealed } } : this.#failed(sourceAddress, credential);
    }
    const stored = await this.#accounts.apiKeySecretHash(credential);
    const digest = createHash('sha256').update(`${credential}:${basic.password}`).digest('hex');
    if (stored !== null && this.#proved.get(digest) === stored.secretHash) return this.#keyOutcome(sourceAddress, credential, stored, pathAccountSid);
    const locked = this.#take(sourceAddress, credential);
    if (locked) return locked;
    const hashed = await this.#hashing.run(() => this.#matches(basic.password, stored?.secretHash ?? UNKNOWN_KEY_HASH));
    if (!hashed.ran) {
      this.#refund(sourceAddress, credential);
      return { refused: 'throttled', credential, retryAfterSeconds: 1, why: 'paytone is checking too many key secrets at once' };
    }
    if (!hashed.value || stored === null) return { refused: 'credentials', credential };
    this.#refund(sourceAddress, credential);
    this.#proved.set(digest, stored.secretHash);
    return this.#keyOutcome(sourceAddress, credential, stored, pathAccountSid);
  }

  /** What proves each credential now; one missing from the answer, or proved otherwise, is revoked. */
  currentFingerprints(credentials: string[]): Promise<Map<string, string>> {
    return this.#accounts.credentialFingerprints(credentials);
  }

  #keyOutcome(sourceAddress: string, credential: string, stored: { accountSid: string; secretHash: string }, pathAccountSid: string | null): Authentication {
    if (pathAccountSid === null || stored.accountSid === pathAccountSid) return { principal: { accountSid: stored.accountSid, credential, fingerprint: stored.secretHash } };
    return this.#failed(sourceAddress, credential);
  }

  /** Counts a failure (401), or answers 429 when the address or credential is already locked. */
  #failed(sourceAddress: string, credential: string | null): Authentication {
    return this.#take(sourceAddress, credential) ?? { refused: 'credentials', credential };
  }

  /** Counts an attempt against the address and the credential, or the 429 when either is locked (nothing counted). */
  #take(sourceAddress: string, credential: string | null): Authentication | null {
    const byAddress = this.#perAddress.take(sourceAddress);
    const byCredential = byAddress > 0 || credential === null ? 0 : this.#perCredential.take(credential);
    if (byAddress === 0 && byCredential === 0) return null;
    if (byAddress === 0) this.#perAddress.refund(sourceAddress);
    const why = byAddress > 0 ? `too many failed sign-ins from ${sourceAddress}` : `too many failed sign-ins with ${credential}`;
    return { refused: 'throttled', credential, retryAfterSeconds: Math.ceil(Math.max(byAddress, byCredential) / 1000), why };
  }

  #refund(sourceAddress: string, credential: string): void {
    this.#perAddress.refund(sourceAddress);
    this.#perCredential.refund(credential);
  }
}

/**
 * The SID a Basic header tries (never its secret), for the log of failed attempts; null when it names none.
 *
 * @example
 *   credentialSidOf('Basic ' + btoa('SK...:wrong')) // 'SK...'
 */
export function credentialSidOf(header: string | undefined): string | null {
  const username = parseBasic(header ?? '')?.username ?? '';
  return isSid('AC', username) || isSid('SK', username) ? username : null;
}

function parseBasic(header: string): { username: string; password: string } | null {
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Digests first: timingSafeEqual needs equal lengths, and comparing digests leaks neither content nor length. */
export function equalInConstantTime(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
