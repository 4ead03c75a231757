/**
 * The audit trail is append-only in the database itself: on SQLite and on PostgreSQL, an UPDATE or DELETE (and a
 * TRUNCATE on PostgreSQL) is refused by a trigger, whoever sends it, and the entry reads back unchanged.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { AuditLogStore } from '../../src/store/auditLog.js';
import { type Db, openDatabase } from '../../src/store/database.js';
import type { AuditEntry } from '../../src/domain/audit.js';
import { tempDataDir } from '../support/paytone.js';
import { postgresForTests, type ScratchDatabase } from '../support/postgres.js';

const ACCOUNT = 'AC' + 'a'.repeat(32);
const CALL = 'CA' + 'b'.repeat(32);
const PAYMENT = 'PK' + 'c'.repeat(32);

const entry = (action: string, paymentSid: string | null): AuditEntry => ({
  at: 1_763_750_000_000,
  accountSid: ACCOUNT,
  credential: 'SK' + 'd'.repeat(32),
  sourceIp: '203.0.113.7',
  userAgent: 'twilio-node/6.2.0',
  action,
  method: 'POST',
  path: `/2010-04-01/Accounts/${ACCOUNT}/Calls/${CALL}/Payments.json`,
  callSid: CALL,
  paymentSid,
  statusCode: 201,
  errorCode: null,
  parameters: { ChargeAmount: '10.00' },
});

async function appendOnly(db: Db): Promise<void> {
  const store = new AuditLogStore(db);
  await store.append(entry('call.create', null));
  // Appended together (two requests answered at once): written together, in the order they came.
  await Promise.all([store.append(entry('payment.create', PAYMENT)), store.append(entry('payment.create', 'PK' + 'e'.repeat(32)))]);
  const before = await store.list(ACCOUNT, {}, 0, 10);
  assert.deepEqual(before.map((r) => [r.id, r.action]), [[1, 'call.create'], [2, 'payment.create'], [3, 'payment.create']]);
  assert.deepEqual(before[1], { ...entry('payment.create', PAYMENT), id: 2 });

  await assert.rejects(db.updateTable('audit_log').set({ credential: 'AC' + 'f'.repeat(32) }).where('id', '=', 2).execute(), /audit_log is append-only: UPDATE refused/);
  await assert.rejects(db.deleteFrom('audit_log').where('id', '=', 1).execute(), /audit_log is append-only: DELETE refused/);
  await assert.rejects(db.deleteFrom('audit_log').execute(), /audit_log is append-only: DELETE refused/);
  assert.deepEqual(await store.list(ACCOUNT, {}, 0, 10), before, 'every entry is still there, unchanged');

  const ofSession = await store.list(ACCOUNT, { callSid: CALL, paymentSid: PAYMENT }, 0, 10);
  assert.deepEqual(ofSession.map((r) => r.id), [1, 2], "the session's entries and its call's, not another session's");
  assert.deepEqual((await store.list(ACCOUNT, { paymentSid: PAYMENT }, 0, 10)).map((r) => r.id), [2]);
  assert.deepEqual((await store.list(ACCOUNT, {}, 1, 1)).map((r) => r.id), [2], 'pages follow on from an id');
  assert.deepEqual(await store.list('AC' + '0'.repeat(32), {}, 0, 10), [], "another account's entries are not listed");
}

describe('audit log storage', () => {
  const opened: Db[] = [];
  after(async () => Promise.all(opened.map((db) => db.destroy())));

  it('is append-only on SQLite', async () => {
    const db = await openDatabase({ dataDir: tempDataDir() });
    opened.push(db);
    await appendOnly(db);
  });
});

const pg = await postgresForTests();

describe('audit log storage on PostgreSQL', { skip: pg.skip ?? false }, () => {
  let scratch: ScratchDatabase;
  let db: Db | undefined;
  after(async () => {
    await db?.destroy();
    await scratch?.drop();
  });

  it('is append-only on PostgreSQL, TRUNCATE included', async () => {
    scratch = await pg.createDatabase();
    db = await openDatabase({ dataDir: tempDataDir(), databaseUrl: scratch.url, migrations: 'auto' });
    await appendOnly(db);
    await assert.rejects(sql`TRUNCATE audit_log`.execute(db), /audit_log is append-only: TRUNCATE refused/);
    assert.equal((await scratch.query('SELECT count(*)::int AS n FROM audit_log'))[0]?.n, 3);
  });
});
