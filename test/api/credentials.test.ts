import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Authenticator } from '../../src/api/credentials.js';
import { AccountStore } from '../../src/store/accounts.js';
import { type Db, openDatabase } from '../../src/store/database.js';
import { Vault } from '../../src/vault/vault.js';

const A = 'AC' + 'a'.repeat(32);
const B = 'AC' + 'b'.repeat(32);
const TOKEN_A = '0123456789abcdef0123456789abcdef';
const TOKEN_B = 'fedcba9876543210fedcba9876543210';

let db: Db;
let auth: Authenticator;
let keyA: { sid: string; secret: string };

before(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-auth-'));
  db = await openDatabase({ dataDir });
  const accounts = new AccountStore(db, await Vault.open({ dataDir }));
  await accounts.createAccount({ sid: A, authToken: TOKEN_A });
  await accounts.createAccount({ sid: B, authToken: TOKEN_B });
  keyA = await accounts.createApiKey(A);
  auth = new Authenticator(accounts);
});
after(() => db.destroy());

function basic(username: string, password: string): string {
  return 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64');
}

test('AccountSid:AuthToken opens its own account', async () => {
  assert.deepEqual(await auth.authenticate(basic(A, TOKEN_A), A), { accountSid: A, credential: A });
  assert.deepEqual(await auth.authenticate(`basic  ${Buffer.from(`${B}:${TOKEN_B}`).toString('base64')}`, B), { accountSid: B, credential: B });
});

test('an API key of the account opens it, and the credential names the key', async () => {
  assert.deepEqual(await auth.authenticate(basic(keyA.sid, keyA.secret), A), { accountSid: A, credential: keyA.sid });
});

test("one account's credentials never open another account", async () => {
  assert.equal(await auth.authenticate(basic(A, TOKEN_A), B), null);
  assert.equal(await auth.authenticate(basic(keyA.sid, keyA.secret), B), null);
  assert.equal(await auth.authenticate(basic(B, TOKEN_A), B), null);
});

test('a wrong secret is refused', async () => {
  assert.equal(await auth.authenticate(basic(A, TOKEN_B), A), null);
  assert.equal(await auth.authenticate(basic(A, TOKEN_A.slice(0, 31)), A), null);
  assert.equal(await auth.authenticate(basic(A, ''), A), null);
  assert.equal(await auth.authenticate(basic(keyA.sid, TOKEN_A), A), null);
  assert.equal(await auth.authenticate(basic(keyA.sid, keyA.secret + 'x'), A), null);
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
    assert.equal(await auth.authenticate(header, A), null, String(header));
  }
  assert.equal(await auth.authenticate(basic(unknown, TOKEN_A), unknown), null);
});
