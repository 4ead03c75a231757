/**
 * Short-lived tokens that let a browser's EventSource (which cannot send an Authorization header) open an
 * account's event stream. A token names the account and its expiry and is signed with HMAC-SHA256 under a key
 * derived from the vault key, so every process that shares the vault key accepts it and nothing new is stored.
 *
 * A token opens the event stream of its own account only, and only until it expires; a stream that is already
 * open stays open. It is never a credential for anything else.
 *
 * @example
 *   const tokens = new EventTokens(vault.deriveKey('event-tokens'));
 *   const { token } = tokens.issue('AC...');          // valid for EVENT_TOKEN_TTL_SECONDS
 *   tokens.verify(token, 'AC...');                    // true
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const EVENT_TOKEN_TTL_SECONDS = 60;

const FORMAT = /^(AC[0-9a-fA-F]{32})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

export class EventTokens {
  readonly #key: Buffer;
  private readonly now: () => number;

  constructor(key: Buffer, now: () => number = Date.now) {
    this.#key = key;
    this.now = now;
  }

  /**
   * @example
   *   tokens.issue('AC...'); // { token: 'AC....1763760000.Zm9v...', expiresAt: 1763760000000 }
   */
  issue(accountSid: string): { token: string; expiresAt: number } {
    const expires = Math.floor(this.now() / 1000) + EVENT_TOKEN_TTL_SECONDS;
    return { token: `${accountSid}.${expires}.${this.mac(accountSid, expires)}`, expiresAt: expires * 1000 };
  }

  /** Whether `token` was issued here for `accountSid` and has not expired. */
  verify(token: string, accountSid: string): boolean {
    const match = FORMAT.exec(token);
    if (!match || match[1] !== accountSid) return false;
    const expires = Number(match[2]);
    const nowSeconds = this.now() / 1000;
    if (expires <= nowSeconds || expires > nowSeconds + EVENT_TOKEN_TTL_SECONDS + 5) return false;
    const expected = Buffer.from(this.mac(accountSid, expires));
    const given = Buffer.from(match[3]!);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private mac(accountSid: string, expires: number): string {
    return createHmac('sha256', this.#key).update(`paytone-events|${accountSid}|${expires}`).digest('base64url');
  }
}
