import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { AccountStore, UNKNOWN_KEY_HASH, secretMatches } from '../../src/store/accounts.js';
import { type Db, openDatabase } from '../../src/store/database.js';
import { Vault } from '../../src/vault/vault.js';

const SID = 'AC' + '1'.repeat(32);
const TOKEN = 'f'.repeat(32);
const opened: Db[] = [];
after(async () => Promise.all(opened.map((db) => db.destroy())));

async function setup() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-accounts-'));
  const db = await openDatabase({ dataDir });
  opened.push(db);
  const vault = await Vault.open({ dataDir });
  const clock = { now: 1_700_000_000_000 };
  return { db, vault, clock, accounts: new AccountStore(db, vault, () => clock.now) };
}

test('a created account gets an AC sid and a 32-hex auth token; the database holds the token only sealed', async () => {
  const { db, accounts, clock } = await setup();
  const { account, authToken } = await accounts.createAccount({ friendlyName: 'Support desk' });
  assert.match(account.sid, /^AC[0-9a-f]{32}$/);
  assert.match(authToken, /^[0-9a-f]{32}$/);
  assert.deepEqual(account, { sid: account.sid, friendlyName: 'Support desk', status: 'active', dateCreated: clock.now, dateUpdated: clock.now, keysMasked: 'pay-sessions' });
  assert.deepEqual(await accounts.getAccount(account.sid), account);
  const row = await db.selectFrom('accounts').selectAll().executeTakeFirstOrThrow();
  assert.ok(!JSON.stringify(row).includes(authToken));
  assert.equal(await accounts.authToken(account.sid), authToken);
});

test('the auth token is read back from the sealed column by a fresh store (as after a restart)', async () => {
  const { db, vault, accounts } = await setup();
  await accounts.createAccount({ sid: SID, authToken: TOKEN });
  assert.equal(await new AccountStore(db, vault).authToken(SID), TOKEN);
  assert.equal(await accounts.authToken('AC' + '2'.repeat(32)), null);
});

test('an account cannot be created twice, nor with a malformed sid or token', async () => {
  const { accounts } = await setup();
  await accounts.createAccount({ sid: SID, authToken: TOKEN });
  await assert.rejects(accounts.createAccount({ sid: SID }), /account AC1{32} already exists/);
  await assert.rejects(accounts.createAccount({ sid: 'AC123' }), /"AC" followed by 32 hex characters/);
  await assert.rejects(accounts.createAccount({ authToken: 'short-token' }), (error: Error) => {
    assert.match(error.message, /must be 32 hex characters/);
    assert.ok(!error.message.includes('short-token'));
    return true;
  });
});

test('upsert creates the account, then changes its token, and writes nothing when nothing changed', async () => {
  const { accounts, clock } = await setup();
  const created = await accounts.upsertAccount(SID, TOKEN, 'Production');
  assert.equal(created.friendlyName, 'Production');
  clock.now += 1000;
  assert.equal((await accounts.upsertAccount(SID, TOKEN)).dateUpdated, created.dateUpdated);
  const newToken = 'e'.repeat(32);
  clock.now += 1000;
  const updated = await accounts.upsertAccount(SID, newToken);
  assert.equal(updated.dateUpdated, clock.now);
  assert.equal(updated.friendlyName, 'Production');
  assert.equal(await accounts.authToken(SID), newToken);
});

test('accounts are listed oldest first', async () => {
  const { accounts, clock } = await setup();
  const first = await accounts.createAccount({ friendlyName: 'one' });
  clock.now += 1;
  const second = await accounts.createAccount({ friendlyName: 'two' });
  assert.deepEqual((await accounts.listAccounts()).map((a) => a.sid), [first.account.sid, second.account.sid]);
});

test('an API key is shown with its secret once; only a salted scrypt hash is stored', async () => {
  const { db, accounts, clock } = await setup();
  await accounts.createAccount({ sid: SID, authToken: TOKEN });
  const key = await accounts.createApiKey(SID, 'agent desktop');
  assert.match(key.sid, /^SK[0-9a-f]{32}$/);
  assert.match(key.secret, /^[0-9a-f]{32}$/);
  assert.deepEqual(await accounts.listApiKeys(SID), [{ sid: key.sid, friendlyName: 'agent desktop', dateCreated: clock.now }]);
  const stored = await accounts.apiKeySecretHash(key.sid);
  assert.equal(stored?.accountSid, SID);
  assert.match(stored?.secretHash ?? '', /^[0-9a-f]{32}:[0-9a-f]{64}$/);
  const rows = await db.selectFrom('api_keys').selectAll().execute();
  assert.ok(!JSON.stringify(rows).includes(key.secret));
  const again = await accounts.createApiKey(SID);
  assert.notEqual((await accounts.apiKeySecretHash(again.sid))?.secretHash.split(':')[0], stored?.secretHash.split(':')[0]);
});

test('an API key cannot be made for an account that does not exist', async () => {
  const { accounts } = await setup();
  await assert.rejects(accounts.createApiKey(SID), /account AC1{32} does not exist/);
});

test('an API key verifies with its secret only, and stops verifying once deleted', async () => {
  const { accounts } = await setup();
  await accounts.createAccount({ sid: SID, authToken: TOKEN });
  const key = await accounts.createApiKey(SID);
  const stored = (await accounts.apiKeySecretHash(key.sid))!;
  assert.equal(await secretMatches(key.secret, stored.secretHash), true);
  assert.equal(await secretMatches('a'.repeat(32), stored.secretHash), false);
  assert.equal(await secretMatches(key.secret, UNKNOWN_KEY_HASH), false);
  assert.equal(await secretMatches(key.secret, 'not a hash'), false);
  assert.equal(await accounts.apiKeySecretHash('SK' + '0'.repeat(32)), null);
  assert.equal(await accounts.deleteApiKey(SID, key.sid), true);
  assert.equal(await accounts.apiKeySecretHash(key.sid), null);
  assert.equal(await accounts.deleteApiKey(SID, key.sid), false);
  assert.deepEqual(await accounts.listApiKeys(SID), []);
});

test("a key can only be deleted through its own account", async () => {
  const { accounts } = await setup();
  await accounts.createAccount({ sid: SID, authToken: TOKEN });
  const other = await accounts.createAccount({});
  const key = await accounts.createApiKey(SID);
  assert.equal(await accounts.deleteApiKey(other.account.sid, key.sid), false);
  assert.equal((await accounts.apiKeySecretHash(key.sid))?.accountSid, SID);
});

test('what proves a credential is read from the database each time, so a change by another process counts at once', async () => {
  const { db, vault, accounts } = await setup();
  await accounts.createAccount({ sid: SID, authToken: TOKEN });
  const key = await accounts.createApiKey(SID);
  const before = await accounts.credentialFingerprints([SID, key.sid, 'SK' + '0'.repeat(32)]);
  assert.deepEqual([...before.keys()].sort(), [SID, key.sid].sort());
  assert.equal((await accounts.authTokenProof(SID))?.token, TOKEN);

  const elsewhere = new AccountStore(db, vault);
  await elsewhere.upsertAccount(SID, 'e'.repeat(32));
  await elsewhere.deleteApiKey(SID, key.sid);
  assert.equal((await accounts.authTokenProof(SID))?.token, 'e'.repeat(32));
  const after = await accounts.credentialFingerprints([SID, key.sid]);
  assert.deepEqual([...after.keys()], [SID]);
  assert.notEqual(after.get(SID), before.get(SID), 'a new token is a new fingerprint');
  assert.equal(await accounts.authTokenProof('AC' + '2'.repeat(32)), null);
});
