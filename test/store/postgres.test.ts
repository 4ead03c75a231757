/**
 * PostgreSQL through the same query layer and migrations: an unmigrated database is refused with one line that
 * says what to run, `paytone migrate` applies the migrations, and stored times read back as numbers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DatabaseNotMigratedError, migrationStatus, openDatabase, writeTogether } from '../../src/store/database.js';
import { migrations } from '../../src/store/migrations.js';
import { AccountStore } from '../../src/store/accounts.js';
import { Vault } from '../../src/vault/vault.js';
import { startPaytoneProcess, tempDataDir } from '../support/paytone.js';
import { runNode } from '../support/run.js';
import { postgresForTests, type ScratchDatabase } from '../support/postgres.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
const VAULT_KEY = 'ab'.repeat(32);

const run = (file: string, args: string[], env: Record<string, string>) => runNode(file, args, { PAYTONE_DATA_DIR: tempDataDir(), PORT: '0', ...env });

const pg = await postgresForTests();

describe('PostgreSQL store', { skip: pg.skip ?? false }, () => {
  let scratch: ScratchDatabase;
  before(async () => (scratch = await pg.createDatabase()));
  after(async () => scratch?.drop());

  it('refuses to start a server on an unmigrated database, naming the command to run', async () => {
    const started = await run(MAIN, [], { DATABASE_URL: scratch.url, PAYTONE_VAULT_KEY: VAULT_KEY });
    assert.equal(started.code, 1);
    const lines = started.stderr.trim().split('\n');
    assert.equal(lines.length, 1, started.stderr);
    assert.match(lines[0]!, /pending migration\(s\) \(0001_initial.*\): run `paytone migrate` with the same DATABASE_URL/);
    await assert.rejects(openDatabase({ dataDir: tempDataDir(), databaseUrl: scratch.url }), DatabaseNotMigratedError);
    assert.deepEqual((await scratch.query(`SELECT to_regclass('payment_sessions') AS t`))[0]?.t, null, 'nothing was created');
  });

  it('paytone migrate applies every migration once and reports the database without its password', async () => {
    const url = new URL(scratch.url);
    url.password = 'not-needed-with-trust';
    const first = await run(CLI, ['migrate', '--json'], { DATABASE_URL: url.toString() });
    assert.equal(first.code, 0, first.stderr);
    const report = JSON.parse(first.stdout) as { database: string; applied: string[] };
    assert.deepEqual(report.applied.sort(), Object.keys(migrations).sort());
    assert.ok(!report.database.includes('not-needed-with-trust'), report.database);
    const again = await run(CLI, ['migrate'], { DATABASE_URL: scratch.url });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /is up to date\./);
  });

  it('opens the migrated database, and times come back as numbers as on SQLite', async () => {
    const db = await openDatabase({ dataDir: tempDataDir(), databaseUrl: scratch.url });
    try {
      assert.deepEqual((await migrationStatus(db)).pending, []);
      const accounts = new AccountStore(db, await Vault.open({ dataDir: tempDataDir(), keyHex: VAULT_KEY }), () => 1_790_000_000_123);
      const { account, authToken } = await accounts.createAccount({ friendlyName: 'cluster' });
      const stored = await accounts.getAccount(account.sid);
      assert.equal(stored?.dateCreated, 1_790_000_000_123);
      const row = await db.selectFrom('accounts').select('date_created').where('sid', '=', account.sid).executeTakeFirstOrThrow();
      assert.equal(typeof row.date_created, 'number');
      assert.equal(await accounts.authToken(account.sid), authToken);
    } finally {
      await db.destroy();
    }
  });

  it('statements written together commit together or not at all, as on SQLite', async () => {
    const db = await openDatabase({ dataDir: tempDataDir(), databaseUrl: scratch.url });
    try {
      const keypress = (id: number, callSid: string) => db.insertInto('sandbox_keypresses').values({ id, call_sid: callSid, key_sealed: 'sealed', play_at: 1 }).compile();
      await assert.rejects(writeTogether(db, [keypress(9001, 'CAtogether'), keypress(9001, 'CAtogether')]), /duplicate key/);
      const [alone] = await writeTogether(db, [keypress(9002, 'CAalone')]);
      assert.equal(alone?.numAffectedRows, 1n);
      const rows = await db.selectFrom('sandbox_keypresses').select(['id', 'call_sid']).where('id', 'in', [9001, 9002]).execute();
      assert.deepEqual(rows, [{ id: 9002, call_sid: 'CAalone' }], 'nothing of the set that failed');
    } finally {
      await db.destroy();
    }
  });

  it('a cluster process makes no development account of its own, and says how to get one', async () => {
    const server = await startPaytoneProcess({ env: { DATABASE_URL: scratch.url, PAYTONE_VAULT_KEY: VAULT_KEY, PAYTONE_ACCOUNT_SID: '', PAYTONE_AUTH_TOKEN: '' } });
    try {
      assert.match(server.output(), /no start-up account: in a cluster, set PAYTONE_ACCOUNT_SID and PAYTONE_AUTH_TOKEN/);
      assert.doesNotMatch(server.output(), /created a development account/);
    } finally {
      await server.stop();
    }
    const names = await scratch.query<{ friendly_name: string }>('SELECT friendly_name FROM accounts');
    assert.deepEqual(names.map((r) => r.friendly_name), ['cluster'], 'only the account the test created');
  });

  it('the CLI refuses to manage accounts on PostgreSQL without the servers\' vault key', async () => {
    const refused = await run(CLI, ['accounts', 'create'], { DATABASE_URL: scratch.url });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /PAYTONE_VAULT_KEY must be set with DATABASE_URL/);
  });
});
