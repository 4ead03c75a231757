import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Authenticator, type Authentication, type AuthenticatorOptions } from '../../src/app/credentials.js';
import { secretMatches } from '../../src/store/accounts.js';
import { AccountStore } from '../../src/store/accounts.js';
import { type Db, openDatabase } from '../../src/store/database.js';
import { Vault } from '../../src/vault/vault.js';

const A = 'AC' + 'a'.repeat(32);
const B = 'AC' + 'b'.repeat(32);
const TOKEN_A = '0123456789abcdef0123456789abcdef';
const TOKEN_B = 'fedcba9876543210fedcba9876543210';

let db: Db;
let accounts: AccountStore;
let vault: Vault;
let auth: Authenticator;
let keyA: { sid: string; secret: string };
const LIMITS: AuthenticatorOptions = { perCredential: { max: 10, windowMs: 1_800_000 }, perAddress: { max: 50, windowMs: 600_000 } };
const HERE = '127.0.0.1';

before(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-auth-'));
  db = await openDatabase({ dataDir });
  vault = await Vault.open({ dataDir });
  accounts = new AccountStore(db, vault);
  await accounts.createAccount({ sid: A, authToken: TOKEN_A });
  await accounts.createAccount({ sid: B, authToken: TOKEN_B });
  keyA = await accounts.createApiKey(A);
  auth = new Authenticator(accounts, LIMITS);
});
after(() => db.destroy());

function basic(username: string, password: string): string {
  return 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64');
}

/** The principal's account and credential, or how it was refused. */
async function check(header: string | undefined, accountSid: string | null, using = auth, from = HERE): Promise<{ accountSid: string; credential: string } | string> {
  const outcome: Authentication = await using.authenticate(header, accountSid, from);
  return 'principal' in outcome ? { accountSid: outcome.principal.accountSid, credential: outcome.principal.credential } : outcome.refused;
}

test('AccountSid:AuthToken opens its own account', async () => {
  assert.deepEqual(await check(basic(A, TOKEN_A), A), { accountSid: A, credential: A });
  assert.deepEqual(await check(`basic  ${Buffer.from(`${B}:${TOKEN_B}`).toString('base64')}`, B), { accountSid: B, credential: B });
});

test('an API key of the account opens it, and the credential names the key', async () => {
  assert.deepEqual(await check(basic(keyA.sid, keyA.secret), A), { accountSid: A, credential: keyA.sid });
});

test('a route that names no account (/mcp) opens the credential\'s own account, and only with the right secret', async () => {
  assert.deepEqual(await check(basic(A, TOKEN_A), null), { accountSid: A, credential: A });
  assert.deepEqual(await check(basic(B, TOKEN_B), null), { accountSid: B, credential: B });
  assert.deepEqual(await check(basic(keyA.sid, keyA.secret), null), { accountSid: A, credential: keyA.sid });
  assert.equal(await check(basic(B, TOKEN_A), null), 'credentials');
  assert.equal(await check(basic(keyA.sid, TOKEN_A), null), 'credentials');
  assert.equal(await check(undefined, null), 'credentials');
});

test("one account's credentials never open another account", async () => {
  assert.equal(await check(basic(A, TOKEN_A), B), 'credentials');
  assert.equal(await check(basic(keyA.sid, keyA.secret), B), 'credentials');
  assert.equal(await check(basic(B, TOKEN_A), B), 'credentials');
});

test('a wrong secret is refused', async () => {
  assert.equal(await check(basic(A, TOKEN_B), A), 'credentials');
  assert.equal(await check(basic(A, TOKEN_A.slice(0, 31)), A), 'credentials');
  assert.equal(await check(basic(A, ''), A), 'credentials');
  assert.equal(await check(basic(keyA.sid, TOKEN_A), A), 'credentials');
  assert.equal(await check(basic(keyA.sid, keyA.secret + 'x'), A), 'credentials');
});

test('a missing or malformed Authorization header is refused', async () => {
  const unknown = 'AC' + 'c'.repeat(32);
  for (const header of [
    undefined,
    '',
    'Bearer ' + TOKEN_A,
    'Basic',
    'Basic !!!',
    'Basic ' + Buffer.from(A + TOKEN_A).toString('base64'),
    'Basic ' + Buffer.from(':' + TOKEN_A).toString('base64'),
    basic('PK' + 'a'.repeat(32), TOKEN_A),
    basic(A.toUpperCase(), TOKEN_A),
  ]) {
    assert.equal(await check(header, A), 'credentials', String(header));
  }
  assert.equal(await check(basic(unknown, TOKEN_A), unknown), 'credentials');
});

/** An authenticator whose key-secret check is counted, and can be held to see how many run at once. */
function counted(options: Partial<AuthenticatorOptions> = {}) {
  const clock = { now: 1_700_000_000_000 };
  const calls = { total: 0, running: 0, most: 0 };
  let hold: Promise<void> | null = null;
  const matches = async (secret: string, hash: string) => {
    calls.total += 1;
    calls.running += 1;
    calls.most = Math.max(calls.most, calls.running);
    if (hold) await hold;
    try {
      return await secretMatches(secret, hash);
    } finally {
      calls.running -= 1;
    }
  };
  const authenticator = new Authenticator(accounts, { ...LIMITS, now: () => clock.now, matches, ...options });
  return { authenticator, calls, clock, holdHashes: (until: Promise<void>) => (hold = until) };
}

test('an unknown key SID costs one hash, as a wrong secret for a known one does; auth tokens and proved secrets cost none', async () => {
  const { authenticator, calls } = counted();
  assert.equal(await check(basic('SK' + '9'.repeat(32), keyA.secret), A, authenticator), 'credentials');
  assert.equal(calls.total, 1);
  assert.equal(await check(basic(keyA.sid, 'f'.repeat(32)), A, authenticator), 'credentials');
  assert.equal(calls.total, 2);
  assert.deepEqual(await check(basic(keyA.sid, keyA.secret), A, authenticator), { accountSid: A, credential: keyA.sid });
  assert.equal(calls.total, 3);
  assert.deepEqual(await check(basic(keyA.sid, keyA.secret), A, authenticator), { accountSid: A, credential: keyA.sid });
  assert.deepEqual(await check(basic(A, TOKEN_A), A, authenticator), { accountSid: A, credential: A });
  assert.equal(await check(basic(A, TOKEN_B), A, authenticator), 'credentials');
  assert.equal(calls.total, 3, 'a secret proved before and auth tokens are checked without hashing');
});

test('past the limit a SID, or an address, is answered 429 before any hashing, until the window is over', async () => {
  const { authenticator, calls, clock } = counted({ perCredential: { max: 3, windowMs: 60_000 }, perAddress: { max: 5, windowMs: 60_000 } });
  const unknown = 'SK' + '8'.repeat(32);
  const tries = [];
  for (let i = 0; i < 4; i += 1) tries.push(await check(basic(unknown, 'f'.repeat(32)), A, authenticator, '203.0.113.1'));
  assert.deepEqual(tries, ['credentials', 'credentials', 'credentials', 'throttled']);
  assert.equal(calls.total, 3);
  const outcome = await authenticator.authenticate(basic(unknown, 'f'.repeat(32)), A, '203.0.113.2');
  assert.deepEqual(outcome, { refused: 'throttled', credential: unknown, retryAfterSeconds: 60, why: `too many failed sign-ins with ${unknown}` }, 'from another address too');

  // Two more failures lock the first address, for every SID it tries.
  assert.equal(await check(basic(keyA.sid, 'f'.repeat(32)), A, authenticator, '203.0.113.1'), 'credentials');
  assert.equal(await check(basic(A, TOKEN_B), A, authenticator, '203.0.113.1'), 'credentials');
  assert.equal(await check(basic(keyA.sid, keyA.secret), A, authenticator, '203.0.113.1'), 'throttled', 'a secret never proved here waits too');
  assert.equal(calls.total, 4);
  // What needs no hashing is never throttled: the auth token, and a secret proved before (from anywhere).
  assert.deepEqual(await check(basic(A, TOKEN_A), A, authenticator, '203.0.113.1'), { accountSid: A, credential: A });
  assert.deepEqual(await check(basic(keyA.sid, keyA.secret), A, authenticator, '198.51.100.7'), { accountSid: A, credential: keyA.sid });
  assert.deepEqual(await check(basic(keyA.sid, keyA.secret), A, authenticator, '203.0.113.1'), { accountSid: A, credential: keyA.sid });

  clock.now += 60_000;
  assert.equal(await check(basic(unknown, 'f'.repeat(32)), A, authenticator, '203.0.113.1'), 'credentials', 'tried again once the window is over');
});

test('at most two hashes run at once and a few wait; the rest are turned away without one', async () => {
  const { authenticator, calls, holdHashes } = counted({ hashing: { concurrent: 2, queued: 3 } });
  let release = () => {};
  holdHashes(new Promise<void>((resolve) => (release = resolve)));
  const pending = Array.from({ length: 8 }, (_, i) => check(basic('SK' + String(i).repeat(32), 'f'.repeat(32)), A, authenticator, `192.0.2.${i}`));
  await new Promise((resolve) => setImmediate(resolve));
  release();
  const outcomes = await Promise.all(pending);
  assert.equal(calls.most, 2);
  assert.equal(calls.total, 5);
  assert.deepEqual(outcomes.filter((o) => o === 'throttled').length, 3);
  assert.deepEqual(outcomes.filter((o) => o === 'credentials').length, 5);
});

test('a key deleted, or a token changed, by another process stops working at once', async () => {
  const key = await accounts.createApiKey(B);
  const { authenticator } = counted();
  assert.deepEqual(await check(basic(key.sid, key.secret), B, authenticator), { accountSid: B, credential: key.sid });
  assert.deepEqual(await check(basic(B, TOKEN_B), B, authenticator), { accountSid: B, credential: B });
  const elsewhere = new AccountStore(db, vault);
  await elsewhere.deleteApiKey(B, key.sid);
  await elsewhere.upsertAccount(B, 'e'.repeat(32));
  assert.equal(await check(basic(key.sid, key.secret), B, authenticator), 'credentials');
  assert.equal(await check(basic(B, TOKEN_B), B, authenticator), 'credentials');
  assert.deepEqual(await check(basic(B, 'e'.repeat(32)), B, authenticator), { accountSid: B, credential: B });
});
