/**
 * A cluster's callback attempts, recorded together on PostgreSQL: the records of one turn go in one statement, and
 * each one lands only on the row its attempt was made from (still pending, with the attempts it had then), as one
 * update each would.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { type Db, openDatabase } from '../../src/store/database.js';
import { recordInTurn } from '../../src/store/attemptRecords.js';
import { tempDataDir } from '../support/paytone.js';
import { postgresForTests, type ScratchDatabase } from '../support/postgres.js';

const SESSION = 'PK' + 'a'.repeat(32);
const pg = await postgresForTests();

describe('callback attempts recorded together on PostgreSQL', { skip: pg.skip ?? false }, () => {
  let scratch: ScratchDatabase | undefined;
  let db: Db | undefined;
  after(async () => {
    await db?.destroy();
    await scratch?.drop();
  });

  it('writes each outcome of a turn to its own row, and none to a row that moved on', async () => {
    scratch = await pg.createDatabase();
    db = await openDatabase({ dataDir: tempDataDir(), databaseUrl: scratch.url, migrations: 'auto' });
    const base = { session_sid: SESSION, account_sid: 'AC' + 'b'.repeat(32), call_sid: 'CA' + 'c'.repeat(32), kind: 'capture', params: '{}', url: 'https://app.example/cb', at: 1000, next_attempt_at: 1000 };
    await db
      .insertInto('session_events')
      .values([
        { ...base, seq: 1, delivery_status: 'pending', attempts: 0, lease_owner: 'member-a', lease_until: 9000 },
        { ...base, seq: 2, delivery_status: 'pending', attempts: 0, lease_owner: 'member-a', lease_until: 9000 },
        { ...base, seq: 3, delivery_status: 'pending', attempts: 2 },
      ])
      .execute();

    await Promise.all([
      recordInTurn(db, { session_sid: SESSION, seq: 1, attempts_read: 0, attempts: 1, delivery_status: 'delivered', last_attempt_at: 2000, last_response_code: 200, last_error: null, next_attempt_at: null }),
      recordInTurn(db, { session_sid: SESSION, seq: 2, attempts_read: 0, attempts: 1, delivery_status: 'pending', last_attempt_at: 2001, last_response_code: 503, last_error: 'HTTP 503', next_attempt_at: 7000 }),
      // Made from the row as it was two attempts ago: another process has recorded since.
      recordInTurn(db, { session_sid: SESSION, seq: 3, attempts_read: 1, attempts: 2, delivery_status: 'delivered', last_attempt_at: 2002, last_response_code: 200, last_error: null, next_attempt_at: null }),
    ]);

    const rows = await db
      .selectFrom('session_events')
      .select(['seq', 'delivery_status', 'attempts', 'last_attempt_at', 'last_response_code', 'last_error', 'next_attempt_at', 'lease_owner', 'lease_until'])
      .where('session_sid', '=', SESSION)
      .orderBy('seq')
      .execute();
    assert.deepEqual(rows, [
      { seq: 1, delivery_status: 'delivered', attempts: 1, last_attempt_at: 2000, last_response_code: 200, last_error: null, next_attempt_at: null, lease_owner: null, lease_until: null },
      { seq: 2, delivery_status: 'pending', attempts: 1, last_attempt_at: 2001, last_response_code: 503, last_error: 'HTTP 503', next_attempt_at: 7000, lease_owner: null, lease_until: null },
      { seq: 3, delivery_status: 'pending', attempts: 2, last_attempt_at: null, last_response_code: null, last_error: null, next_attempt_at: 1000, lease_owner: null, lease_until: null },
    ]);
  });
});
