/**
 * The call store: the account that placed a call sees it with its current status, whether the process remembers it
 * or reads it back after a restart; another account never does. Each move is stored with the status callback it
 * owes, in order, with the method the call asked for.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { CallStore } from '../../src/store/calls.js';
import { type Db, openDatabase } from '../../src/store/database.js';
import { advanceCall, placedCall } from '../../src/domain/callProgress.js';
import { tempDataDir } from '../support/paytone.js';
import { callRecord } from '../support/callRecords.js';
import { postgresForTests, type ScratchDatabase } from '../support/postgres.js';

const ACCOUNT = 'AC' + 'a'.repeat(32);
const OTHER_ACCOUNT = 'AC' + 'f'.repeat(32);
const T0 = 1_763_750_000_000;
const pg = await postgresForTests();

describe('call store', () => {
  const opened: Db[] = [];
  after(async () => Promise.all(opened.map((db) => db.destroy())));
  const open = async () => {
    const db = await openDatabase({ dataDir: tempDataDir() });
    opened.push(db);
    return db;
  };

  for (const shared of [false, true]) {
    it(`${shared ? 'read from the database' : 'answered from memory'}: current status, own account only`, async () => {
      const db = await open();
      const calls = new CallStore(db, { shared });
      const call = callRecord({ sid: 'CA' + 'b'.repeat(32), accountSid: ACCOUNT, dateCreated: T0, dateUpdated: T0, startTime: T0, answerTime: T0 });
      await calls.insert(call);

      assert.deepEqual(await calls.get(ACCOUNT, call.sid), call);
      assert.deepEqual(await calls.getBySid(call.sid), call);
      assert.equal(await calls.get(OTHER_ACCOUNT, call.sid), null, "another account's credentials never find the call");
      assert.equal(await calls.get(ACCOUNT, 'CA' + 'c'.repeat(32)), null);

      const ended = advanceCall(call, 'completed', T0 + 60_000)!.call;
      await calls.advance(ended, null);
      assert.deepEqual(await calls.get(ACCOUNT, call.sid), ended);
      assert.equal((await calls.get(ACCOUNT, call.sid))?.status, 'completed', 'a hung-up call is never seen in progress again');
      assert.deepEqual(await new CallStore(db, { shared }).get(ACCOUNT, call.sid), ended, 'a restarted process reads the same');
    });
  }

  const scratches: ScratchDatabase[] = [];
  after(async () => Promise.all(scratches.map((s) => s.drop())));
  const dialects: Array<[string, () => Promise<Db>, string | false]> = [
    ['SQLite', open, false],
    [
      'PostgreSQL',
      async () => {
        const scratch = await pg.createDatabase();
        scratches.push(scratch);
        const db = await openDatabase({ dataDir: tempDataDir(), databaseUrl: scratch.url, migrations: 'auto' });
        opened.push(db);
        return db;
      },
      pg.skip ?? false,
    ],
  ];

  for (const [dialect, openDialect, skip] of dialects) it(`on ${dialect}: stores each move's status callback in order, by the call's method, and lists a call's children`, { skip }, async () => {
    const db = await openDialect();
    const calls = new CallStore(db, { shared: false });
    const queued = callRecord({
      sid: 'CA' + '1'.repeat(32),
      accountSid: ACCOUNT,
      status: 'queued',
      startTime: null,
      answerTime: null,
      statusCallback: 'https://app.example/status',
      statusCallbackMethod: 'GET',
      statusCallbackEvents: ['initiated', 'answered', 'completed'],
    });
    const placed = placedCall(queued);
    await calls.insert(placed.call, placed.callbacks);
    let call = placed.call;
    for (const [status, at] of [['ringing', T0 + 1_000], ['in-progress', T0 + 2_000], ['completed', T0 + 32_000]] as const) {
      const moved = advanceCall(call, status, at)!;
      await calls.advance(moved.call, moved.callback);
      call = moved.call;
    }
    const rows = (await sql<{ seq: number; method: string; params: string; url: string }>`select seq, method, params, url from session_events where session_sid = ${call.sid} order by seq`.execute(db)).rows;
    assert.deepEqual(rows.map((r) => [Number(r.seq), r.method, JSON.parse(r.params).CallStatus, JSON.parse(r.params).SequenceNumber]), [
      [1, 'GET', 'initiated', '0'],
      [2, 'GET', 'in-progress', '1'],
      [3, 'GET', 'completed', '2'],
    ], 'ringing was not asked for; the others in order');
    assert.equal(JSON.parse(rows[2]!.params).CallDuration, '30', 'from the answer to the end');
    assert.deepEqual(await calls.getBySid(call.sid), { ...call, callbacksSent: 3 });

    const child = callRecord({ sid: 'CA' + '2'.repeat(32), accountSid: ACCOUNT, direction: 'outbound-dial', parentCallSid: call.sid });
    await calls.insert(child);
    assert.deepEqual((await calls.list(ACCOUNT, { parentCallSid: call.sid, limit: 10, offset: 0 })).map((c) => c.sid), [child.sid]);
  });
});
