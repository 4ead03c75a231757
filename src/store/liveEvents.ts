/**
 * The live event feed (`live_events`): one row per callback-worthy fact of an account, numbered by the database
 * so that a stream can resume after the last id its client saw, across restarts and processes.
 *
 * Rows are written inside the transaction that makes the fact true (a session's commit, a call placed or ended),
 * so the feed never shows something that did not happen and never misses something that did.
 *
 * Resume needs ids to become visible in increasing order: a reader that has passed id 11 must never later find a
 * newly committed 10. SQLite has one writer at a time, so ids are handed out in commit order. On PostgreSQL
 * identity values are taken when the row is inserted, not when the transaction commits, so two transactions
 * could commit out of order. There, writers hold the feed's advisory lock shared, from before they draw an id to
 * their commit, and a reader takes it exclusively before it reads: it waits for the writers in flight, so every id
 * drawn before its read has committed (or rolled back) by then, and any id drawn later is larger. Writers never
 * wait for each other, so their commits share WAL flushes; each announces itself with an empty NOTIFY, and the
 * processes read what is new from the table (src/app/clusterLiveEvents.ts).
 *
 * @example
 *   const [event] = await appendLiveEvents(trx, [{ accountSid, callSid, paymentSid: null, kind: 'call-status', params, at }]);
 *   const missed = await feed.since(accountSid, 41, {}, 500);   // events 42, 43 ... of that account
 */
import { CompiledQuery, type Kysely, type QueryResult, type Selectable, PostgresAdapter, sql } from 'kysely';
import { dialectOf, executeInOrder, writeTogether, type Db } from './database.js';
import type { Database, LiveEventsTable } from './schema.js';
import { builtOnce, type Param } from './compiledQuery.js';
import type { LiveEvent, LiveEventFilter, LiveEventKind, NewLiveEvent } from '../domain/liveEvents.js';

/**
 * On PostgreSQL a transaction that writes feed rows also NOTIFYs this channel (with no payload): PostgreSQL tells
 * every listening process when (and only if) the transaction commits, and they read the new rows.
 */
export const LIVE_EVENTS_CHANNEL = 'paytone_live_events';

/** Any key will do as long as every process uses the same one: the feed's lock on PostgreSQL. */
const FEED_LOCK_KEY = 0x70617974; // "payt"

const insertRow = (db: Kysely<Database>, p: Param<Omit<LiveEventsTable, 'id'>>) =>
  db.insertInto('live_events').values({ account_sid: p('account_sid'), call_sid: p('call_sid'), payment_sid: p('payment_sid'), kind: p('kind'), params: p('params'), at: p('at') });
/** SQLite: an INTEGER PRIMARY KEY is the row id, which the insert reports without a RETURNING clause. */
const insertFeedRow = builtOnce(insertRow);

function rowOf(event: NewLiveEvent): Omit<LiveEventsTable, 'id'> {
  return { account_sid: event.accountSid, call_sid: event.callSid, payment_sid: event.paymentSid, kind: event.kind, params: JSON.stringify(event.params), at: event.at };
}

function toEvent(row: Selectable<LiveEventsTable>): LiveEvent {
  return {
    id: Number(row.id),
    accountSid: row.account_sid,
    callSid: row.call_sid,
    paymentSid: row.payment_sid,
    kind: row.kind as LiveEventKind,
    params: JSON.parse(row.params) as Record<string, string>,
    at: Number(row.at),
  };
}

/** SQLite: the statements that write `events` to the feed, one per row; each result's insert id is its row's id. */
function feedInserts(db: Kysely<Database>, events: NewLiveEvent[]): CompiledQuery[] {
  return events.map((event) => insertFeedRow.compile(db, rowOf(event)));
}

function fedEvents(events: NewLiveEvent[], results: QueryResult<unknown>[]): LiveEvent[] {
  return events.map((event, i) => ({ ...event, id: Number(results[i]!.insertId) }));
}

/**
 * PostgreSQL: the statements that write `events` to the feed: the feed's lock, shared, with the notice, then one
 * insert per row (RETURNING of a multi-row insert does not promise the rows' order).
 */
function feedStatements(db: Kysely<Database>, events: NewLiveEvent[]): CompiledQuery[] {
  if (events.length === 0) return [];
  const announce = announceFeedWrite.compile(db, { key: FEED_LOCK_KEY, channel: LIVE_EVENTS_CHANNEL });
  if (events.length === 1) return [announce, insertFeedRowReturningId.compile(db, rowOf(events[0]!))];
  const rows = events.map(rowOf);
  const column = <K extends keyof Omit<LiveEventsTable, 'id'>>(name: K) => rows.map((row) => row[name]);
  return [announce, CompiledQuery.raw(INSERT_FEED_ROWS, [column('account_sid'), column('call_sid'), column('payment_sid'), column('kind'), column('params'), column('at'), rows.length])];
}

/**
 * PostgreSQL: a change's feed rows in one statement. The ids are drawn first, as many as there are rows, and the
 * smallest goes to the first row, the next to the second...: a multi-row insert promises neither the order in which
 * its rows draw their ids nor the order of RETURNING, and a change's events must keep their order in the feed.
 */
const INSERT_FEED_ROWS = `insert into live_events (id, account_sid, call_sid, payment_sid, kind, params, at) overriding system value
  select d.id, e.account_sid, e.call_sid, e.payment_sid, e.kind, e.params, e.at
  from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]) with ordinality as e(account_sid, call_sid, payment_sid, kind, params, at, n)
  join (select id, row_number() over (order by id) as n
        from (select nextval(pg_get_serial_sequence('live_events', 'id')) as id from generate_series(1, $7::int)) drawn) d using (n)
  returning id`;

const announceFeedWrite = builtOnce((db, p: Param<{ key: number; channel: string }>) =>
  db.selectNoFrom([sql<void>`pg_advisory_xact_lock_shared(${p('key')})`.as('locked'), sql<void>`pg_notify(${p('channel')}, '')`.as('announced')]),
);
const takeFeedReadLock = builtOnce((db, p: Param<{ key: number }>) => db.selectNoFrom(sql<void>`pg_advisory_xact_lock(${p('key')})`.as('locked')));
const insertFeedRowReturningId = builtOnce((db, p: Param<Omit<LiveEventsTable, 'id'>>) => insertRow(db, p).returning('id'));

/** The events with the ids their feed statements returned (`results`: one insert per event, or one for them all). */
function announcedEvents(events: NewLiveEvent[], results: QueryResult<unknown>[]): LiveEvent[] {
  const ids = results.flatMap((result) => (result.rows as Array<{ id: number }>).map((row) => Number(row.id))).sort((a, b) => a - b);
  return events.map((event, i) => ({ ...event, id: ids[i]! }));
}

/** A write that must commit with a change, or not at all: `statement` fails when the change must not commit. */
export interface AlongWith {
  statement: CompiledQuery;
  /** The error thrown when it fails (never a secret: it may reach a log). */
  refused: string;
  /** Set once the change it went with has committed. */
  committed?: boolean;
}

/**
 * Runs `along`, then `statements`, and writes `events` to the feed, all or nothing, and returns the events with their
 * ids. On the embedded database they go as one write set (`writeTogether`), or in a transaction with `along`; on
 * PostgreSQL as one transaction in one round trip.
 */
export async function writeWithFeed(db: Db, statements: CompiledQuery[], events: NewLiveEvent[], along?: AlongWith): Promise<LiveEvent[]> {
  const postgres = dialectOf(db) === 'postgres';
  if (!along && !postgres) {
    const results = await writeTogether(db, [...statements, ...feedInserts(db, events)]);
    return fedEvents(events, results.slice(statements.length));
  }
  let written: LiveEvent[];
  try {
    if (postgres) {
      const first = [...(along ? [along.statement] : []), ...statements];
      const results = await writeTogether(db, [...first, ...feedStatements(db, events)]);
      written = announcedEvents(events, results.slice(first.length + 1));
    } else {
      written = await db.transaction().execute(async (trx) => {
        await trx.executeQuery(along!.statement);
        await executeInOrder(trx, statements);
        return appendLiveEvents(trx, events);
      });
    }
  } catch (err) {
    if (along) throw new Error(along.refused, { cause: err });
    throw err;
  }
  if (along) along.committed = true;
  return written;
}

/** Writes events to the feed inside the caller's transaction and returns them with their ids, in order. */
export async function appendLiveEvents(trx: Kysely<Database>, events: NewLiveEvent[]): Promise<LiveEvent[]> {
  if (events.length === 0) return [];
  if (!(trx.getExecutor().adapter instanceof PostgresAdapter)) return fedEvents(events, await executeInOrder(trx, feedInserts(trx, events)));
  return announcedEvents(events, (await executeInOrder(trx, feedStatements(trx, events))).slice(1));
}

export class LiveEventStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Writes events that come with no other change (what a call's TwiML says), returned with their ids. */
  append(events: NewLiveEvent[]): Promise<LiveEvent[]> {
    return writeWithFeed(this.db, [], events);
  }

  /** The account's events after `afterId`, oldest first, at most `limit`. */
  async since(accountSid: string, afterId: number, filter: LiveEventFilter, limit: number): Promise<LiveEvent[]> {
    let query = this.db.selectFrom('live_events').selectAll().where('account_sid', '=', accountSid).where('id', '>', afterId);
    if (filter.callSid !== undefined) query = query.where('call_sid', '=', filter.callSid);
    if (filter.paymentSid !== undefined) query = query.where('payment_sid', '=', filter.paymentSid);
    return this.read(query.orderBy('id').limit(limit).compile());
  }

  /** Every account's events after `afterId`, oldest first, at most `limit`: what a cluster's process publishes. */
  after(afterId: number, limit: number): Promise<LiveEvent[]> {
    return this.read(this.db.selectFrom('live_events').selectAll().where('id', '>', afterId).orderBy('id').limit(limit).compile());
  }

  /** The id of the newest event, 0 with none: where a cluster's process starts publishing. */
  async lastId(): Promise<number> {
    const [row] = await this.read(this.db.selectFrom('live_events').selectAll().orderBy('id', 'desc').limit(1).compile());
    return row?.id ?? 0;
  }

  /** On PostgreSQL behind the feed's lock, taken exclusively: no row whose id is drawn yet is still uncommitted. */
  private async read(query: CompiledQuery<Selectable<LiveEventsTable>>): Promise<LiveEvent[]> {
    if (dialectOf(this.db as Db) === 'sqlite') return (await this.db.executeQuery(query)).rows.map(toEvent);
    const [, rows] = await writeTogether(this.db as Db, [takeFeedReadLock.compile(this.db, { key: FEED_LOCK_KEY }), query]);
    return (rows!.rows as Array<Selectable<LiveEventsTable>>).map(toEvent);
  }
}
