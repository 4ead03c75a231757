/**
 * The embedded feed and audit trail number rows without AUTOINCREMENT (migration 0007): a database made before keeps
 * every row with its id, its indexes and the audit trail's refusals, and numbering goes on past the largest id.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { type Db, migratorFor, openDatabase } from '../../src/store/database.js';
import { AuditLogStore } from '../../src/store/auditLog.js';
import { writeWithFeed } from '../../src/store/liveEvents.js';
import type { AuditEntry } from '../../src/domain/audit.js';
import type { NewLiveEvent } from '../../src/domain/liveEvents.js';
import { tempDataDir } from '../support/paytone.js';

const ACCOUNT = 'AC' + 'a'.repeat(32);
const CALL = 'CA' + 'b'.repeat(32);
const TABLES = ['audit_log', 'live_events'];

const opened: Db[] = [];
after(async () => Promise.all(opened.map((db) => db.destroy())));

async function open(dataDir: string, migrations?: 'skip'): Promise<Db> {
  const db = await openDatabase({ dataDir, migrations });
  opened.push(db);
  return db;
}

const entry = (action: string): AuditEntry => ({
  at: 1_763_750_000_000,
  accountSid: ACCOUNT,
  credential: ACCOUNT,
  sourceIp: '127.0.0.1',
  userAgent: null,
  action,
  method: 'POST',
  path: `/2010-04-01/Accounts/${ACCOUNT}/Calls.json`,
  callSid: CALL,
  paymentSid: null,
  statusCode: 201,
  errorCode: null,
  parameters: { To: '+15551230001' },
});

const event = (status: string): NewLiveEvent => ({ accountSid: ACCOUNT, callSid: CALL, paymentSid: null, kind: 'call-status', params: { CallStatus: status }, at: 1_763_750_000_000 });

async function schemaOf(db: Db): Promise<Array<{ type: string; name: string; sql: string }>> {
  const { rows } = await sql<{ type: string; name: string; sql: string }>`select type, name, sql from sqlite_master where tbl_name in ('audit_log', 'live_events') and sql is not null order by type, name`.execute(db);
  return rows;
}

const rowsOf = async (db: Db, table: string): Promise<unknown[]> => (await sql`select * from ${sql.table(table)} order by id`.execute(db)).rows;

async function sequences(db: Db): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from sqlite_sequence order by name`.execute(db);
  return rows.map((r) => r.name);
}

describe('embedded row ids', () => {
  it('a database made before keeps its rows, ids, indexes and refusals, and numbering goes on', async () => {
    const dataDir = tempDataDir();
    const before = await open(dataDir, 'skip');
    assert.equal((await migratorFor(before).migrateTo('0006_embedded_timers')).error, undefined);
    const audit = new AuditLogStore(before);
    for (const action of ['call.create', 'payment.create', 'payment.update']) await audit.append(entry(action));
    await writeWithFeed(before, [], [event('ringing'), event('in-progress')]);
    await writeWithFeed(before, [], [event('completed')]);
    const schemaBefore = await schemaOf(before);
    assert.ok(schemaBefore.filter((s) => s.type === 'table').every((s) => /autoincrement/i.test(s.sql)));
    assert.deepEqual(await sequences(before), TABLES);
    const rowsBefore = { audit: await rowsOf(before, 'audit_log'), feed: await rowsOf(before, 'live_events') };
    await before.destroy();

    const db = await open(dataDir);
    assert.deepEqual(await rowsOf(db, 'audit_log'), rowsBefore.audit);
    assert.deepEqual(await rowsOf(db, 'live_events'), rowsBefore.feed);
    const schema = await schemaOf(db);
    // The same indexes and triggers, word for word; the tables lose only the keyword.
    assert.deepEqual(
      schema.map((s) => [s.type, s.name, s.sql]),
      schemaBefore.map((s) => [s.type, s.name, s.type === 'table' ? s.sql.replace(/ autoincrement/i, '') : s.sql]),
    );
    assert.deepEqual(await sequences(db), []);
    await assert.rejects(sql`update audit_log set action = 'x' where id = 1`.execute(db), /append-only: UPDATE refused/);
    await assert.rejects(sql`delete from audit_log where id = 3`.execute(db), /append-only: DELETE refused/);

    await new AuditLogStore(db).append(entry('payment.create'));
    assert.deepEqual((await rowsOf(db, 'audit_log')).map((r) => (r as { id: number }).id), [1, 2, 3, 4]);
    const [next] = await writeWithFeed(db, [], [event('ringing')]);
    assert.equal(next!.id, 4);
  });

  it('a new database numbers both tables without AUTOINCREMENT', async () => {
    const db = await open(tempDataDir());
    const tables = (await schemaOf(db)).filter((s) => s.type === 'table');
    assert.deepEqual(tables.map((s) => s.name), TABLES);
    for (const table of tables) assert.doesNotMatch(table.sql, /autoincrement/i);
    assert.equal((await writeWithFeed(db, [], [event('ringing')]))[0]!.id, 1);
  });
});
