/**
 * The live event feed in the database: ids that grow in commit order, reads per account and filter, on SQLite and
 * on PostgreSQL, where a writer that inserted first but has not committed holds the next writer back, so that a
 * reader never sees a later id before an earlier one.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { type Db, openDatabase } from '../../src/store/database.js';
import { appendLiveEvents, LiveEventStore, writeWithFeed } from '../../src/store/liveEvents.js';
import type { NewLiveEvent } from '../../src/domain/liveEvents.js';
import { tempDataDir } from '../support/paytone.js';
import { postgresForTests, type ScratchDatabase } from '../support/postgres.js';
import { until } from '../support/poll.js';

const ACCOUNT = 'AC' + 'a'.repeat(32);
const OTHER = 'AC' + 'f'.repeat(32);
const CALL = 'CA' + 'b'.repeat(32);
const PAYMENT = 'PK' + 'c'.repeat(32);

const event = (accountSid: string, paymentSid: string | null, kind: NewLiveEvent['kind'], params: Record<string, string>): NewLiveEvent => ({
  accountSid,
  callSid: CALL,
  paymentSid,
  kind,
  params,
  at: 1_763_750_000_000,
});

async function feedReadsBack(db: Db): Promise<void> {
  const feed = new LiveEventStore(db);
  const written = await db.transaction().execute((trx) =>
    appendLiveEvents(trx, [
      event(ACCOUNT, null, 'call-status', { CallStatus: 'in-progress' }),
      event(ACCOUNT, PAYMENT, 'started', { Sid: PAYMENT }),
      event(OTHER, null, 'call-status', { CallStatus: 'in-progress' }),
      event(ACCOUNT, PAYMENT, 'capture', { Capture: 'payment-card-number', PaymentCardNumber: 'xxxx-xxxx-xxxx-4242' }),
    ]),
  );
  const ids = written.map((e) => e.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'ids in the order written');
  assert.equal(new Set(ids).size, 4);

  const all = await feed.since(ACCOUNT, 0, {}, 10);
  assert.deepEqual(all, [written[0], written[1], written[3]], 'the account’s own events, as written, oldest first');
  assert.deepEqual(await feed.since(ACCOUNT, ids[1]!, {}, 10), [written[3]], 'after an id');
  assert.deepEqual(await feed.since(ACCOUNT, 0, { paymentSid: PAYMENT }, 10), [written[1], written[3]]);
  assert.deepEqual(await feed.since(ACCOUNT, 0, { callSid: 'CA' + '0'.repeat(32) }, 10), []);
  assert.deepEqual(await feed.since(ACCOUNT, 0, {}, 2), [written[0], written[1]], 'at most the limit');

  await assert.rejects(db.transaction().execute(async (trx) => {
    await appendLiveEvents(trx, [event(ACCOUNT, null, 'call-status', { CallStatus: 'completed' })]);
    throw new Error('the change failed');
  }));
  assert.equal((await feed.since(ACCOUNT, 0, {}, 10)).length, 3, 'a rolled-back change leaves no event');
  const [next] = await db.transaction().execute((trx) => appendLiveEvents(trx, [event(ACCOUNT, null, 'call-status', { CallStatus: 'completed' })]));
  assert.ok(next!.id > ids[3]!, 'ids only grow, even past a rolled-back one');
}

/** A change written with its feed events: both land, numbered in order, or neither does. */
async function changeWithFeed(db: Db): Promise<void> {
  const feed = new LiveEventStore(db);
  const lastBefore = (await feed.since(ACCOUNT, 0, {}, 1000)).at(-1)?.id ?? 0;
  const keypress = (id: number) => db.insertInto('sandbox_keypresses').values({ id, call_sid: CALL, key_sealed: 'sealed', play_at: 1 }).compile();
  const written = await writeWithFeed(db, [keypress(7001)], [
    event(ACCOUNT, PAYMENT, 'capture', { Capture: 'payment-card-number', PartialResult: 'true' }),
    event(ACCOUNT, PAYMENT, 'capture', { Capture: 'payment-card-number', PartialResult: 'false' }),
  ]);
  assert.equal(written.length, 2);
  assert.ok(written[0]!.id > lastBefore && written[1]!.id > written[0]!.id, 'numbered after what was there, in order');
  assert.deepEqual(await feed.since(ACCOUNT, lastBefore, {}, 10), written, 'the feed holds them with the ids it gave back');

  await assert.rejects(writeWithFeed(db, [keypress(7002), keypress(7001)], [event(ACCOUNT, PAYMENT, 'capture', { Capture: 'expiration-date' })]));
  assert.deepEqual(await feed.since(ACCOUNT, written[1]!.id, {}, 10), [], 'a change that failed leaves no event');
  const ids = (await db.selectFrom('sandbox_keypresses').select('id').where('id', 'in', [7001, 7002]).execute()).map((r) => Number(r.id));
  assert.deepEqual(ids, [7001], 'nor any of its statements');
}

/** Runs `check` on a fresh embedded database, closed afterwards whatever happens. */
async function onFreshSqlite(check: (db: Db) => Promise<void>): Promise<void> {
  const db = await openDatabase({ dataDir: tempDataDir() });
  try {
    await check(db);
  } finally {
    await db.destroy();
  }
}

describe('live event feed storage', () => {
  it('numbers and reads back events on SQLite', () => onFreshSqlite(feedReadsBack));

  it('writes a change and its events together on SQLite', () => onFreshSqlite(changeWithFeed));
});

const pg = await postgresForTests();

describe('live event feed storage on PostgreSQL', { skip: pg.skip ?? false }, () => {
  let scratch: ScratchDatabase;
  let db: Db | undefined;
  after(async () => {
    await db?.destroy();
    await scratch?.drop();
  });

  it('numbers and reads back events on PostgreSQL', async () => {
    scratch = await pg.createDatabase();
    db = await openDatabase({ dataDir: tempDataDir(), databaseUrl: scratch.url, migrations: 'auto' });
    await feedReadsBack(db);
  });

  it('writes a change and its events together on PostgreSQL', async () => {
    await changeWithFeed(db!);
  });

  it('makes ids visible in increasing order: writers go side by side, a reader waits for those in flight', async () => {
    const feed = new LiveEventStore(db!);
    const before = await feed.since(ACCOUNT, 0, {}, 100);
    const lastBefore = before.at(-1)!.id;
    let releaseFirst!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstInserted!: () => void;
    const inserted = new Promise<void>((resolve) => (firstInserted = resolve));

    const first = db!.transaction().execute(async (trx) => {
      const written = await appendLiveEvents(trx, [event(ACCOUNT, PAYMENT, 'capture', { Capture: 'expiration-date' })]);
      firstInserted();
      await firstMayCommit;
      return written[0]!;
    });
    await inserted;
    let read: Promise<number[]> | undefined;
    try {
      // A second writer commits while the first is open: its id is the larger one, and it is not waited for.
      const second = (await db!.transaction().execute((trx) => appendLiveEvents(trx, [event(ACCOUNT, PAYMENT, 'capture', { Capture: 'security-code' })])))[0]!;
      read = feed.since(ACCOUNT, lastBefore, {}, 10).then((events) => events.map((e) => e.id));
      await until('the reader to wait for the feed lock', async () => {
        // Only this scratch database's locks: other suites on the same server take advisory locks of their own.
        const rows = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_locks
          WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`.execute(db!);
        return rows.rows[0]!.n === 1;
      });
      releaseFirst();
      const a = await first;
      assert.ok(a.id < second.id);
      // The reader saw neither id before both had committed, so it never passes the first one's.
      assert.deepEqual(await read, [a.id, second.id]);
    } finally {
      releaseFirst();
    }
  });
});
