/**
 * Accounts and their API keys.
 *
 * An account's auth token is sealed by the vault (context = the account sid), because callbacks are signed
 * with it and it must be recoverable. An API key secret is shown once at creation and kept only as a scrypt
 * hash (`salt:hash`, hex). Verifying a secret costs one scrypt, so successful verifications are remembered
 * for a short while in a bounded cache.
 *
 * @example
 *   const accounts = new AccountStore(db, vault);
 *   const { account, authToken } = await accounts.createAccount({ friendlyName: 'Support desk' });
 *   const key = await accounts.createApiKey(account.sid, 'agent desktop');
 *   await accounts.verifyApiKey(key.sid, key.secret); // { accountSid: account.sid }
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { Kysely, Selectable } from 'kysely';
import { isSecret, isSid, newSecret, newSid } from '../domain/sids.js';
import type { Vault } from '../vault/vault.js';
import type { AccountsTable, Database } from './schema.js';

export interface AccountRecord {
  sid: string;
  friendlyName: string;
  status: string;
  dateCreated: number;
  dateUpdated: number;
}

export interface ApiKeyRecord {
  sid: string;
  friendlyName: string;
  dateCreated: number;
}

export const DEFAULT_ACCOUNT_NAME = 'paytone account';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** How long a verified API key stays trusted without a new scrypt; also how long a key deleted by another process may still work. */
export const API_KEY_CACHE_TTL_MS = 60_000;
const API_KEY_CACHE_LIMIT = 1000;

export class AccountStore {
  readonly #db: Kysely<Database>;
  readonly #vault: Vault;
  readonly #now: () => number;
  readonly #authTokens = new Map<string, string>();
  /** sha256(sid:secret) -> the key it proved; Map order is insertion order, so the first entry is the oldest. */
  readonly #verifiedKeys = new Map<string, { keySid: string; accountSid: string; until: number }>();

  constructor(db: Kysely<Database>, vault: Vault, now: () => number = Date.now) {
    this.#db = db;
    this.#vault = vault;
    this.#now = now;
  }

  /**
   * Creates an account; sid and auth token are generated unless given.
   *
   * @example
   *   const { account, authToken } = await accounts.createAccount({ friendlyName: 'Sandbox' });
   */
  async createAccount(a: { sid?: string; authToken?: string; friendlyName?: string }): Promise<{ account: AccountRecord; authToken: string }> {
    const sid = a.sid ?? newSid('AC');
    const authToken = a.authToken ?? newSecret();
    assertAccountCredentials(sid, authToken);
    if (await this.getAccount(sid)) throw new Error(`account ${sid} already exists`);
    const now = this.#now();
    const row = {
      sid,
      friendly_name: a.friendlyName ?? DEFAULT_ACCOUNT_NAME,
      auth_token_sealed: this.#vault.seal(authToken, sid),
      status: 'active',
      date_created: now,
      date_updated: now,
    };
    await this.#db.insertInto('accounts').values(row).execute();
    this.#authTokens.set(sid, authToken);
    return { account: toAccount(row), authToken };
  }

  /**
   * Creates the account, or sets its auth token (and friendly name, when given) if it exists. Nothing is
   * written when both are already as asked, so a restart with the same PAYTONE_* variables changes nothing.
   *
   * @example
   *   await accounts.upsertAccount(env.PAYTONE_ACCOUNT_SID, env.PAYTONE_AUTH_TOKEN);
   */
  async upsertAccount(sid: string, authToken: string, friendlyName?: string): Promise<AccountRecord> {
    assertAccountCredentials(sid, authToken);
    const existing = await this.#accountRow(sid);
    if (!existing) {
      try {
        return (await this.createAccount({ sid, authToken, friendlyName })).account;
      } catch (err) {
        // Processes of a cluster starting together race to create it: the one that lost updates instead.
        if (!(await this.#accountRow(sid))) throw err;
        return this.upsertAccount(sid, authToken, friendlyName);
      }
    }
    const sameToken = this.#vault.unseal(existing.auth_token_sealed, sid) === authToken;
    if (sameToken && (friendlyName === undefined || friendlyName === existing.friendly_name)) return toAccount(existing);
    const changes = {
      friendly_name: friendlyName ?? existing.friendly_name,
      auth_token_sealed: sameToken ? existing.auth_token_sealed : this.#vault.seal(authToken, sid),
      date_updated: this.#now(),
    };
    await this.#db.updateTable('accounts').set(changes).where('sid', '=', sid).execute();
    this.#authTokens.set(sid, authToken);
    return toAccount({ ...existing, ...changes });
  }

  /** @example const account = await accounts.getAccount('AC...'); // null when unknown */
  async getAccount(sid: string): Promise<AccountRecord | null> {
    const row = await this.#accountRow(sid);
    return row ? toAccount(row) : null;
  }

  /** Every account, oldest first. @example for (const a of await accounts.listAccounts()) console.log(a.sid); */
  async listAccounts(): Promise<AccountRecord[]> {
    const rows = await this.#db.selectFrom('accounts').selectAll().orderBy('date_created').orderBy('sid').execute();
    return rows.map(toAccount);
  }

  /**
   * The account's auth token in clear (to check Basic auth and to sign callbacks), or null for an unknown account.
   *
   * @example
   *   const token = await accounts.authToken(session.accountSid);
   */
  async authToken(sid: string): Promise<string | null> {
    const cached = this.#authTokens.get(sid);
    if (cached !== undefined) return cached;
    const row = await this.#accountRow(sid);
    if (!row) return null;
    const authToken = this.#vault.unseal(row.auth_token_sealed, sid);
    this.#authTokens.set(sid, authToken);
    return authToken;
  }

  /**
   * Creates an API key for the account. The secret is returned here and never again.
   *
   * @example
   *   const { sid, secret } = await accounts.createApiKey('AC...', 'agent desktop');
   */
  async createApiKey(accountSid: string, friendlyName?: string): Promise<{ sid: string; secret: string; friendlyName: string; dateCreated: number }> {
    if (!(await this.getAccount(accountSid))) throw new Error(`account ${accountSid} does not exist`);
    const key = { sid: newSid('SK'), secret: newSecret(), friendlyName: friendlyName ?? '', dateCreated: this.#now() };
    await this.#db
      .insertInto('api_keys')
      .values({
        sid: key.sid,
        account_sid: accountSid,
        friendly_name: key.friendlyName,
        secret_hash: await hashSecret(key.secret),
        date_created: key.dateCreated,
      })
      .execute();
    return key;
  }

  /** The account's API keys, oldest first, without secrets. @example await accounts.listApiKeys('AC...'); */
  async listApiKeys(accountSid: string): Promise<ApiKeyRecord[]> {
    const rows = await this.#db
      .selectFrom('api_keys')
      .select(['sid', 'friendly_name', 'date_created'])
      .where('account_sid', '=', accountSid)
      .orderBy('date_created')
      .orderBy('sid')
      .execute();
    return rows.map((r) => ({ sid: r.sid, friendlyName: r.friendly_name, dateCreated: Number(r.date_created) }));
  }

  /**
   * Deletes the account's key; false when the account has no such key. The key stops working at once in
   * this process.
   *
   * @example
   *   await accounts.deleteApiKey('AC...', 'SK...'); // true
   */
  async deleteApiKey(accountSid: string, keySid: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('api_keys').where('sid', '=', keySid).where('account_sid', '=', accountSid).executeTakeFirst();
    for (const [digest, entry] of this.#verifiedKeys) {
      if (entry.keySid === keySid) this.#verifiedKeys.delete(digest);
    }
    return Number(result.numDeletedRows) > 0;
  }

  /** The stored hash of a key's secret and its account, or null for an unknown key. @example await accounts.apiKeySecretHash('SK...'); */
  async apiKeySecretHash(keySid: string): Promise<{ accountSid: string; secretHash: string } | null> {
    const row = await this.#db.selectFrom('api_keys').select(['account_sid', 'secret_hash']).where('sid', '=', keySid).executeTakeFirst();
    return row ? { accountSid: row.account_sid, secretHash: row.secret_hash } : null;
  }

  /**
   * Checks an API key secret; returns the key's account when it matches, null otherwise.
   *
   * @example
   *   const proved = await accounts.verifyApiKey('SK...', secret); // { accountSid: 'AC...' } or null
   */
  async verifyApiKey(keySid: string, secret: string): Promise<{ accountSid: string } | null> {
    const digest = createHash('sha256').update(`${keySid}:${secret}`).digest('hex');
    const now = this.#now();
    const cached = this.#verifiedKeys.get(digest);
    if (cached && cached.until > now) return { accountSid: cached.accountSid };
    this.#verifiedKeys.delete(digest);
    const stored = await this.apiKeySecretHash(keySid);
    if (!stored || !(await secretMatches(secret, stored.secretHash))) return null;
    if (this.#verifiedKeys.size >= API_KEY_CACHE_LIMIT) {
      const oldest = this.#verifiedKeys.keys().next();
      if (!oldest.done) this.#verifiedKeys.delete(oldest.value);
    }
    this.#verifiedKeys.set(digest, { keySid, accountSid: stored.accountSid, until: now + API_KEY_CACHE_TTL_MS });
    return { accountSid: stored.accountSid };
  }

  async #accountRow(sid: string): Promise<Selectable<AccountsTable> | undefined> {
    return this.#db.selectFrom('accounts').selectAll().where('sid', '=', sid).executeTakeFirst();
  }
}

function assertAccountCredentials(sid: string, authToken: string): void {
  if (!isSid('AC', sid)) throw new Error('an account sid is "AC" followed by 32 hex characters');
  if (!isSecret(authToken)) throw new Error(`the auth token of account ${sid} must be 32 hex characters`);
}

function toAccount(row: Selectable<AccountsTable>): AccountRecord {
  return {
    sid: row.sid,
    friendlyName: row.friendly_name,
    status: row.status,
    // PostgreSQL hands bigint columns back as strings.
    dateCreated: Number(row.date_created),
    dateUpdated: Number(row.date_updated),
  };
}

async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptAsync(secret, salt, HASH_BYTES);
  return `${salt.toString('hex')}:${hash.toString('hex')}`;
}

async function secretMatches(secret: string, secretHash: string): Promise<boolean> {
  const [saltHex, hashHex] = secretHash.split(':');
  if (saltHex === undefined || hashHex === undefined) return false;
  const expected = Buffer.from(hashHex, 'hex');
  if (expected.length !== HASH_BYTES) return false;
  const actual = await scryptAsync(secret, Buffer.from(saltHex, 'hex'), HASH_BYTES);
  return timingSafeEqual(actual, expected);
}
