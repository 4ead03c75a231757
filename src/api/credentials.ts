/**
 * HTTP Basic authentication as Twilio does it: `AccountSid:AuthToken`, or `ApiKeySid:ApiKeySecret` for a key
 * of the account named in the URL path. Credentials of one account never open another account's path.
 * Anything malformed or wrong yields null; the HTTP layer answers 20003.
 *
 * @example
 *   const auth = new Authenticator(accounts);
 *   const principal = await auth.authenticate(request.headers.authorization, params.AccountSid);
 *   if (!principal) throw payError(20003);
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isSid } from '../domain/sids.js';
import type { AccountStore } from '../store/accounts.js';

export interface Principal {
  accountSid: string;
  /** The username that proved it (an AC... or SK... sid), for audit logs. */
  credential: string;
}

export class Authenticator {
  readonly #accounts: AccountStore;

  constructor(accounts: AccountStore) {
    this.#accounts = accounts;
  }

  /**
   * Checks an Authorization header for the account in the URL path. Returns the principal or null.
   *
   * @example
   *   await auth.authenticate('Basic ' + Buffer.from(`${sid}:${token}`).toString('base64'), sid); // { accountSid: sid, credential: sid }
   */
  async authenticate(authorizationHeader: string | undefined, pathAccountSid: string): Promise<Principal | null> {
    const basic = parseBasic(authorizationHeader);
    if (!basic) return null;
    const { username, password } = basic;
    if (isSid('AC', username)) {
      if (username !== pathAccountSid) return null;
      const authToken = await this.#accounts.authToken(username);
      return authToken !== null && equalInConstantTime(password, authToken) ? { accountSid: username, credential: username } : null;
    }
    if (isSid('SK', username)) {
      const proved = await this.#accounts.verifyApiKey(username, password);
      return proved?.accountSid === pathAccountSid ? { accountSid: pathAccountSid, credential: username } : null;
    }
    return null;
  }
}

function parseBasic(header: string | undefined): { username: string; password: string } | null {
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header ?? '');
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
