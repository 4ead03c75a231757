/**
 * A pay session's row on the embedded store as the session moves on: a change that keeps the status (a keypress, a
 * field asked for) writes the state, secrets, deadline and time only, and a change of status writes the status and
 * its gateway caller too. Read back, the row is always the session as committed. The embedded schema has no index on
 * deadlines, including a database that had one before.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { type Db, migratorFor, openDatabase } from '../../src/store/database.js';
import { SessionStore, type StoredEvent } from '../../src/store/sessions.js';
import { nextDeadline } from '../../src/domain/session.js';
import type { SessionEvent, SessionStatus } from '../../src/domain/types.js';
import { Vault } from '../../src/vault/vault.js';
import { LiveEventStore } from '../../src/store/liveEvents.js';
import { PaySession, VISA } from '../domain/sessionDriver.js';
import { tempDataDir } from '../support/paytone.js';
import { postgresForTests, type ScratchDatabase } from '../support/postgres.js';

const opened: Db[] = [];
after(async () => Promise.all(opened.map((db) => db.destroy())));

async function open(dataDir = tempDataDir()): Promise<Db> {
  const db = await openDatabase({ dataDir });
  opened.push(db);
  return db;
}

const sessionIndexes = async (db: Db): Promise<string[]> =>
  (await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'payment_sessions' and sql is not null order by name`.execute(db)).rows.map((row) => row.name);

describe('stored pay sessions', () => {
  it('follow every change, whether it kept the status or moved it', async () => {
    const dataDir = tempDataDir();
    const db = await open(dataDir);
    const store = new SessionStore(db, await Vault.open({ dataDir }), 'member-a');
    const pay = new PaySession();
    const row = () => db.selectFrom('payment_sessions').select(['status', 'gateway_owner', 'deadline', 'date_updated']).where('sid', '=', pay.session.sid).executeTakeFirstOrThrow();
    let stored: SessionStatus | null = null;
    const commit = async (events: SessionEvent[]) => {
      await store.commit(pay.session, events, null, stored);
      stored = pay.session.status;
      assert.deepEqual(await store.get(pay.session.sid), pay.session);
      const { status, gateway_owner, deadline, date_updated } = await row();
      return { status, owner: gateway_owner, deadline: deadline === null ? null : Number(deadline), dateUpdated: Number(date_updated) };
    };

    assert.deepEqual(await commit([...pay.events]), { status: 'in-progress', owner: null, deadline: nextDeadline(pay.session), dateUpdated: pay.session.dateUpdated });
    await commit(pay.capture('payment-card-number'));
    // Keys keep the status: each one moves the deadline and the time, and the digits so far come back unsealed.
    for (const digit of VISA.slice(0, 6)) {
      pay.now += 1000;
      const afterKey = await commit(pay.apply({ kind: 'keys', keys: digit }));
      assert.deepEqual(afterKey, { status: 'in-progress', owner: null, deadline: pay.now + 5000, dateUpdated: pay.now });
    }
    assert.equal((await store.get(pay.session.sid))?.capture?.digits, VISA.slice(0, 6));
    await commit(pay.press(`${VISA.slice(6)}#`));
    for (const [field, keys] of [['expiration-date', '1230#'], ['security-code', '123#'], ['postal-code', '94105#']] as const) {
      await commit(pay.capture(field));
      await commit(pay.press(keys));
    }

    // A new status brings the gateway caller; a change that keeps `completing` names its own process again.
    assert.deepEqual(await commit(pay.complete()), { status: 'completing', owner: 'member-a', deadline: null, dateUpdated: pay.now });
    const other = new SessionStore(db, await Vault.open({ dataDir }), 'member-b');
    await other.commit(pay.session, [], null, 'completing');
    assert.equal((await row()).gateway_owner, 'member-b');

    pay.now += 1000;
    const ended = await commit(pay.answer({ ok: true, confirmationCode: 'ch_1', token: null, profileId: null }));
    assert.deepEqual(ended, { status: 'completed', owner: null, deadline: null, dateUpdated: pay.now });
    const sealed = await db.selectFrom('payment_sessions').select('sealed_secrets').where('sid', '=', pay.session.sid).executeTakeFirstOrThrow();
    assert.equal(sealed.sealed_secrets, null);
  });

  it('have no deadline index on the embedded store, and a store made before loses its own', async () => {
    assert.deepEqual(await sessionIndexes(await open()), ['sessions_by_call', 'sessions_by_status']);

    const dataDir = tempDataDir();
    const before = await openDatabase({ dataDir, migrations: 'skip' });
    const { error } = await migratorFor(before).migrateTo('0005_cluster');
    assert.equal(error, undefined);
    assert.deepEqual(await sessionIndexes(before), ['sessions_by_call', 'sessions_by_deadline', 'sessions_by_status']);
    await before.destroy();

    assert.deepEqual(await sessionIndexes(await open(dataDir)), ['sessions_by_call', 'sessions_by_status']);
  });
});

const pg = await postgresForTests();

describe('stored pay sessions on PostgreSQL', { skip: pg.skip ?? false }, () => {
  let scratch: ScratchDatabase | undefined;
  after(async () => scratch?.drop());

  it('keep a change\'s callbacks and feed events as the embedded store does, however many one change emits', async () => {
    scratch = await pg.createDatabase();
    const dataDir = tempDataDir();
    const vault = await Vault.open({ dataDir });
    const postgres = await openDatabase({ dataDir: tempDataDir(), databaseUrl: scratch.url, migrations: 'auto' });
    opened.push(postgres);
    const embedded = await open(dataDir);
    const stores = [new SessionStore(embedded, vault), new SessionStore(postgres, vault)];
    const pay = new PaySession();
    let stored: SessionStatus | null = null;
    const commit = async (events: SessionEvent[]) => {
      const fed = await Promise.all(stores.map((store) => store.commit(pay.session, events, null, stored)));
      stored = pay.session.status;
      return fed;
    };

    await commit([...pay.events]);
    const batches = [pay.capture('payment-card-number'), pay.press(VISA.slice(0, 8)), pay.press(VISA.slice(8)), pay.capture('expiration-date', ''), pay.press('1230#')];
    assert.ok(batches.some((events) => events.length >= 8), 'a change with many callbacks');
    for (const events of batches) await commit(events);

    const [embeddedEvents, postgresEvents] = (await Promise.all(stores.map((store) => store.events(pay.session.sid)))) as [StoredEvent[], StoredEvent[]];
    assert.deepEqual(postgresEvents, embeddedEvents);
    assert.deepEqual(postgresEvents.map((e) => e.seq), pay.events.map((e) => e.seq), 'every callback, in order');
    assert.deepEqual(new Set(postgresEvents.map((e) => e.deliveryStatus)), new Set(['pending', 'not-sent']), 'a callback with no URL is kept, not sent');
    assert.ok(postgresEvents.every((e) => e.attempts === 0 && e.nextAttemptAt === e.at));

    const feeds = await Promise.all([embedded, postgres].map((db) => new LiveEventStore(db).since(pay.session.accountSid, 0, {}, 1000)));
    const withoutIds = (events: typeof feeds[0]) => events.map(({ id: _id, ...event }) => event);
    assert.deepEqual(withoutIds(feeds[1]!), withoutIds(feeds[0]!), 'the feed holds the same events in the same order');
    const ids = feeds[1]!.map((e) => e.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  });
});
