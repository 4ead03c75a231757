import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { DEV_ACCOUNT_FILE, DEV_CREDENTIALS_FILE, bootstrapAccount } from '../../src/app/bootstrap.js';
import { startPaytoneProcess, tempDataDir } from '../support/paytone.js';
import { AccountStore } from '../../src/store/accounts.js';
import { type Db, openDatabase } from '../../src/store/database.js';
import { Vault } from '../../src/vault/vault.js';

const SID = 'AC' + '5'.repeat(32);
const TOKEN = '6'.repeat(32);
const opened: Db[] = [];
after(async () => Promise.all(opened.map((db) => db.destroy())));

async function setup() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-boot-'));
  const db = await openDatabase({ dataDir });
  opened.push(db);
  const accounts = new AccountStore(db, await Vault.open({ dataDir }));
  const printed: string[] = [];
  const start = (env: Record<string, string | undefined>, toTerminal = true) => bootstrapAccount({ accounts, env, dataDir, print: (text) => printed.push(text), toTerminal });
  return { dataDir, accounts, printed, start };
}

test('PAYTONE_ACCOUNT_SID and PAYTONE_AUTH_TOKEN create that account, silently', async () => {
  const { accounts, printed, start } = await setup();
  assert.deepEqual(await start({ PAYTONE_ACCOUNT_SID: SID, PAYTONE_AUTH_TOKEN: TOKEN }), { accountSid: SID, created: true });
  assert.equal(await accounts.authToken(SID), TOKEN);
  assert.deepEqual(printed, []);
});

test('a later start with another PAYTONE_AUTH_TOKEN updates the token of the same account', async () => {
  const { accounts, start } = await setup();
  await start({ PAYTONE_ACCOUNT_SID: SID, PAYTONE_AUTH_TOKEN: TOKEN });
  const rotated = '7'.repeat(32);
  assert.deepEqual(await start({ PAYTONE_ACCOUNT_SID: SID, PAYTONE_AUTH_TOKEN: rotated }), { accountSid: SID, created: false });
  assert.equal(await accounts.authToken(SID), rotated);
  assert.equal((await accounts.listAccounts()).length, 1);
});

test('only one of the two variables set is a clear error', async () => {
  const { start, accounts } = await setup();
  await assert.rejects(start({ PAYTONE_ACCOUNT_SID: SID }), /PAYTONE_ACCOUNT_SID is set but PAYTONE_AUTH_TOKEN is not/);
  await assert.rejects(start({ PAYTONE_AUTH_TOKEN: TOKEN, PAYTONE_ACCOUNT_SID: '' }), /PAYTONE_AUTH_TOKEN is set but PAYTONE_ACCOUNT_SID is not/);
  assert.deepEqual(await accounts.listAccounts(), []);
});

test('malformed variables are refused without echoing the token', async () => {
  const { start, accounts } = await setup();
  await assert.rejects(start({ PAYTONE_ACCOUNT_SID: 'AC123', PAYTONE_AUTH_TOKEN: TOKEN }), /PAYTONE_ACCOUNT_SID must be "AC" followed by 32 hex characters/);
  await assert.rejects(start({ PAYTONE_ACCOUNT_SID: SID, PAYTONE_AUTH_TOKEN: 'hunter2-hunter2' }), (error: Error) => {
    assert.match(error.message, /PAYTONE_AUTH_TOKEN must be 32 hex characters/);
    assert.ok(!error.message.includes('hunter2'));
    return true;
  });
  assert.deepEqual(await accounts.listAccounts(), []);
});

test('with neither set, the first start creates a development account and prints its credentials once', async () => {
  const { dataDir, accounts, printed, start } = await setup();
  const first = await start({ PORT: '9090' });
  assert.equal(first.created, true);
  assert.equal(printed.length, 1);
  const token = await accounts.authToken(first.accountSid);
  assert.ok(token);
  assert.match(printed[0] ?? '', new RegExp(`AccountSid  ${first.accountSid}`));
  assert.match(printed[0] ?? '', new RegExp(`AuthToken   ${token}`));
  assert.match(printed[0] ?? '', /baseUrl = 'http:\/\/127\.0\.0\.1:9090'/);

  const file = path.join(dataDir, DEV_ACCOUNT_FILE);
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), { account_sid: first.accountSid });
  if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o600);

  assert.deepEqual(await start({}), { accountSid: first.accountSid, created: false });
  assert.equal((await accounts.listAccounts()).length, 1);
  assert.equal(printed.length, 2);
  const later = printed[1]!;
  assert.ok(!later.includes(token), 'a later start never shows the token again');
  assert.ok(later.includes(`development account ${first.accountSid}`), 'it names the account');
  assert.ok(later.includes(`npx paytone keys create --account ${first.accountSid}`), 'it says how to get credentials again');
  assert.ok(later.includes(`PAYTONE_ACCOUNT_SID=${first.accountSid} and PAYTONE_AUTH_TOKEN`), 'or how to choose a token');
  assert.ok(!later.includes(DEV_CREDENTIALS_FILE), 'no credentials file is mentioned when there is none');
});

test('a later start whose first one wrote the token to a file reminds where it still is', async () => {
  const { dataDir, printed, start } = await setup();
  const { accountSid } = await start({}, false);
  await start({}, false);
  assert.equal(printed.length, 2);
  assert.ok(printed[1]!.includes(accountSid));
  assert.ok(printed[1]!.includes(`still in ${path.join(dataDir, DEV_CREDENTIALS_FILE)}`));
});

test('when the output is no terminal (a log may keep it), the token goes to a file only this user can read, and the output says where', async () => {
  const { dataDir, accounts, printed, start } = await setup();
  const { accountSid } = await start({}, false);
  const token = (await accounts.authToken(accountSid))!;
  const file = path.join(dataDir, DEV_CREDENTIALS_FILE);
  assert.equal(printed.length, 1);
  assert.ok(!printed[0]!.includes(token), 'no token in the output');
  assert.ok(printed[0]!.includes(accountSid));
  assert.ok(printed[0]!.includes(file), 'it says where the token is');
  assert.match(fs.readFileSync(file, 'utf8'), new RegExp(`AuthToken   ${token}`));
  if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o600);
});

test('a server whose stdout is a pipe (a log shipper) never writes the development token there', async () => {
  const dataDir = tempDataDir();
  const server = await startPaytoneProcess({ dataDir, env: { PAYTONE_ACCOUNT_SID: '', PAYTONE_AUTH_TOKEN: '' } });
  try {
    const file = path.join(dataDir, DEV_CREDENTIALS_FILE);
    const token = /AuthToken {3}([0-9a-f]{32})/.exec(fs.readFileSync(file, 'utf8'))?.[1];
    assert.ok(token, 'the token is in the file');
    assert.ok(!server.output().includes(token), 'and nowhere in the output');
    assert.ok(server.output().includes(file), 'which says where it is');
  } finally {
    await server.stop();
  }
});

test('a remembered development sid whose account is gone is created again under the same sid', async () => {
  const { dataDir, accounts, printed, start } = await setup();
  fs.writeFileSync(path.join(dataDir, DEV_ACCOUNT_FILE), JSON.stringify({ account_sid: SID }));
  assert.deepEqual(await start({}), { accountSid: SID, created: true });
  assert.ok(await accounts.getAccount(SID));
  assert.equal(printed.length, 1);
});

test('a malformed dev-account.json is a clear error, not a second development account', async () => {
  const { dataDir, accounts, start } = await setup();
  fs.writeFileSync(path.join(dataDir, DEV_ACCOUNT_FILE), '{"account_sid": 42}');
  await assert.rejects(start({}), /dev-account\.json is malformed.*delete it/);
  assert.deepEqual(await accounts.listAccounts(), []);
});
