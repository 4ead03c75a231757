/**
 * Accounts and their API keys.
 *
 * An account's auth token is sealed by the vault (context = the account sid), because callbacks are signed
 * with it and it must be recoverable. An API key secret is shown once at creation and kept only as a scrypt
 * hash (`salt:hash`, hex); `secretMatches` checks one (api/credentials.ts decides when that work is done).
 *
 * What proves a credential is read from the database on every check (`authTokenProof`, `apiKeySecretHash`), so a
 * key deleted or a token changed by any process, the `paytone` command included, stops working at once everywhere.
 *
 * @example
 *   const accounts = new AccountStore(db, vault);
 *   const { account, authToken } = await accounts.createAccount({ friendlyName: 'Support desk' });
 *   const key = await accounts.createApiKey(account.sid, 'agent desktop');
 *   await secretMatches(key.secret, (await accounts.apiKeySecretHash(key.sid))!.secretHash); // true
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { Kysely, Selectable } from 'kysely';
import { BoundedMemory } from '../domain/boundedMemory.js';
import { isSecret, isSid, newSecret, newSid } from '../domain/sids.js';
import type { Vault } from '../vault/vault.js';
import type { AccountsTable, Database } from './schema.js';
import { builtOnce, type Param } from './compiledQuery.js';

export interface AccountRecord {
  sid: string;
  friendlyName: string;
  status: string;
  dateCreated: number;
  dateUpdated: number;
  /** Which of a real call's keys the agent must not hear: those typed during a pay session, or every one. */
  keysMasked: KeysMasked;
}

export type KeysMasked = 'pay-sessions' | 'always';
export const KEYS_MASKED: readonly KeysMasked[] = ['pay-sessions', 'always'];

export interface ApiKeyRecord {
  sid: string;
  friendlyName: string;
  dateCreated: number;
}

export const DEFAULT_ACCOUNT_NAME = 'paytone account';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;
/** Read on every authenticated request: built once (compiledQuery.ts). */
const selectSealedToken = builtOnce((db, p: Param<{ sid: string }>) => db.selectFrom('accounts').select('auth_token_sealed').where('sid', '=', p('sid')));
const selectKeyHash = builtOnce((db, p: Param<{ sid: string }>) => db.selectFrom('api_keys').select(['account_sid', 'secret_hash']).where('sid', '=', p('sid')));

const SALT_BYTES = 16;
const HASH_BYTES = 32;

export class AccountStore {
  readonly #db: Kysely<Database>;
  readonly #vault: Vault;
  readonly #now: () => number;
  readonly #authTokens = new Map<string, string>();
  /** Sealed auth token -> the token: a check reads the sealed value each time, and opens a new one only once. */
  readonly #unsealed = new BoundedMemory<string, string>(1000);

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
      keys_masked: 'pay-sessions',
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

  /** Sets which of a real call's keys the account masks from the agent (calls that start from now on). */
  async setKeysMasked(sid: string, keysMasked: KeysMasked): Promise<AccountRecord | null> {
    await this.#db.updateTable('accounts').set({ keys_masked: keysMasked, date_updated: this.#now() }).where('sid', '=', sid).execute();
    return this.getAccount(sid);
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
   * The account's auth token as the database holds it now, with its sealed form (which changes only when the token
   * does), or null for an unknown account. For checking credentials: unlike `authToken`, never from memory alone.
   *
   * @example
   *   const proof = await accounts.authTokenProof('AC...'); // { token: '...', sealed: 'v1...' }
   */
  async authTokenProof(sid: string): Promise<{ token: string; sealed: string } | null> {
    const [row] = (await selectSealedToken.execute(this.#db, { sid })).rows;
    if (!row) return null;
    const sealed = row.auth_token_sealed;
    return { token: this.#unsealed.remember(sealed, () => this.#vault.unseal(sealed, sid)), sealed };
  }

  /**
   * What proves each of these credential sids now (an auth token's sealed form, a key's secret hash); a sid that
   * no longer exists is missing from the answer. One query per kind, for checking many open streams at once.
   *
   * @example
   *   const live = await accounts.credentialFingerprints(['AC...', 'SK...']); // Map { 'AC...' => 'v1...', 'SK...' => 'salt:hash' }
   */
  async credentialFingerprints(sids: string[]): Promise<Map<string, string>> {
    const fingerprints = new Map<string, string>();
    const accountSids = sids.filter((sid) => isSid('AC', sid));
    const keySids = sids.filter((sid) => isSid('SK', sid));
    if (accountSids.length > 0) {
      const rows = await this.#db.selectFrom('accounts').select(['sid', 'auth_token_sealed']).where('sid', 'in', accountSids).execute();
      for (const row of rows) fingerprints.set(row.sid, row.auth_token_sealed);
    }
    if (keySids.length > 0) {
      const rows = await this.#db.selectFrom('api_keys').select(['sid', 'secret_hash']).where('sid', 'in', keySids).execute();
      for (const row of rows) fingerprints.set(row.sid, row.secret_hash);
    }
    return fingerprints;
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
   * Deletes the account's key; false when the account has no such key. The key stops working at once, in every
   * process (credentials are checked against the database each time).
   *
   * @example
   *   await accounts.deleteApiKey('AC...', 'SK...'); // true
   */
  async deleteApiKey(accountSid: string, keySid: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('api_keys').where('sid', '=', keySid).where('account_sid', '=', accountSid).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** The stored hash of a key's secret and its account, or null for an unknown key. @example await accounts.apiKeySecretHash('SK...'); */
  async apiKeySecretHash(keySid: string): Promise<{ accountSid: string; secretHash: string } | null> {
    const [row] = (await selectKeyHash.execute(this.#db, { sid: keySid })).rows;
    return row ? { accountSid: row.account_sid, secretHash: row.secret_hash } : null;
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
    keysMasked: row.keys_masked === 'always' ? 'always' : 'pay-sessions',
  };
}

async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptAsync(secret, salt, HASH_BYTES);
  return `${salt.toString('hex')}:${hash.toString('hex')}`;
}

/**
 * Whether `secret` is the one `secretHash` was made from: one scrypt, whatever the answer (a hash that cannot be read
 * costs the same and does not match).
 *
 * @example
 *   await secretMatches(key.secret, stored.secretHash); // true
 */
export async function secretMatches(secret: string, secretHash: string): Promise<boolean> {
  const [saltHex = '', hashHex = ''] = secretHash.split(':');
  const expected = Buffer.from(hashHex, 'hex');
  const readable = saltHex !== '' && expected.length === HASH_BYTES;
  const actual = await scryptAsync(secret, Buffer.from(readable ? saltHex : UNKNOWN_KEY_HASH.slice(0, SALT_BYTES * 2), 'hex'), HASH_BYTES);
  return readable && timingSafeEqual(actual, expected);
}

/**
 * A hash no secret matches, checked in place of a key that does not exist: an unknown SID then costs one scrypt like
 * a known one, and the time an answer takes says nothing about which keys exist.
 */
export const UNKNOWN_KEY_HASH = `${'0'.repeat(SALT_BYTES * 2)}:${'0'.repeat(HASH_BYTES * 2)}`;
