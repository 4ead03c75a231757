/**
 * Short-lived tokens that let a browser's EventSource (which cannot send an Authorization header) open an
 * account's event stream. A token names the account, the credential that asked for it and its expiry, and is
 * signed with HMAC-SHA256 under a key derived from the vault key, so every process that shares the vault key
 * accepts it and nothing new is stored.
 *
 * The signature also covers a digest of what proved that credential when the token was issued (its secret hash or
 * sealed token): once the key is deleted or the token changed, the token opens nothing, on any process. A token
 * opens the event stream of its own account only, until it expires; it is never a credential for anything else.
 *
 * @example
 *   const tokens = new EventTokens(vault.deriveKey('event-tokens'));
 *   const { token } = tokens.issue(principal);            // valid for EVENT_TOKEN_TTL_SECONDS
 *   const credential = tokens.credentialOf(token, 'AC...'); // 'SK...': look up what proves it now, then
 *   tokens.verify(token, 'AC...', fingerprintNow);          // true while the key is unchanged
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const EVENT_TOKEN_TTL_SECONDS = 60;

const FORMAT = /^(AC[0-9a-fA-F]{32})\.((?:AC|SK)[0-9a-fA-F]{32})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

export interface TokenHolder {
  accountSid: string;
  /** The AC or SK sid that asked for the token. */
  credential: string;
  /** What proved that credential (see Principal.fingerprint). */
  fingerprint: string;
}

export class EventTokens {
  readonly #key: Buffer;
  private readonly now: () => number;

  constructor(key: Buffer, now: () => number = Date.now) {
    this.#key = key;
    this.now = now;
  }

  /**
   * @example
   *   tokens.issue({ accountSid: 'AC...', credential: 'SK...', fingerprint }); // { token: 'AC....SK....1763760000.Zm9v...', expiresAt: 1763760000000 }
   */
  issue(holder: TokenHolder): { token: string; expiresAt: number } {
    const expires = Math.floor(this.now() / 1000) + EVENT_TOKEN_TTL_SECONDS;
    return { token: `${holder.accountSid}.${holder.credential}.${expires}.${this.mac(holder, expires)}`, expiresAt: expires * 1000 };
  }

  /** The credential a well-formed, unexpired token for `accountSid` names, or null; the signature is not checked yet. */
  credentialOf(token: string, accountSid: string): string | null {
    const match = FORMAT.exec(token);
    if (!match || match[1] !== accountSid) return null;
    const expires = Number(match[3]);
    const nowSeconds = this.now() / 1000;
    return expires <= nowSeconds || expires > nowSeconds + EVENT_TOKEN_TTL_SECONDS + 5 ? null : match[2]!;
  }

  /** Whether `token` was issued here for `accountSid`, has not expired, and its credential is still proved by `fingerprint`. */
  verify(token: string, accountSid: string, fingerprint: string): boolean {
    const credential = this.credentialOf(token, accountSid);
    if (credential === null) return false;
    const [, , , expires, mac] = FORMAT.exec(token)!;
    const expected = Buffer.from(this.mac({ accountSid, credential, fingerprint }, Number(expires)));
    const given = Buffer.from(mac!);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private mac(holder: TokenHolder, expires: number): string {
    const proof = createHash('sha256').update(holder.fingerprint).digest('hex');
    return createHmac('sha256', this.#key).update(`paytone-events|${holder.accountSid}|${holder.credential}|${proof}|${expires}`).digest('base64url');
  }
}
