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
 * could commit out of order; a transaction-scoped advisory lock taken just before the insert serializes feed
 * writers from the insert to the commit (a short span: the feed rows are the transaction's last statements).
 *
 * @example
 *   const [event] = await appendLiveEvents(trx, [{ accountSid, callSid, paymentSid: null, kind: 'call-status', params, at }]);
 *   const missed = await feed.since(accountSid, 41, {}, 500);   // events 42, 43 ... of that account
 */
import { CompiledQuery, type Kysely, type QueryResult, type Selectable, PostgresAdapter } from 'kysely';
import { dialectOf, executeInOrder, writeTogether, type Db } from './database.js';
import { writeAtOnce, type AlongWith } from './changeAtOnce.js';
import type { Database, LiveEventsTable } from './schema.js';
import { builtOnce, type Param } from './compiledQuery.js';
import type { LiveEvent, LiveEventFilter, LiveEventKind, NewLiveEvent } from '../domain/liveEvents.js';

/**
 * On PostgreSQL each event is also announced with NOTIFY on this channel, inside the transaction that writes it:
 * PostgreSQL delivers the notice to every listening process when (and only if) the transaction commits.
 */
export const LIVE_EVENTS_CHANNEL = 'paytone_live_events';
/** NOTIFY payloads must stay under 8000 bytes; a larger event is announced by id and read from the feed. */
const NOTICE_LIMIT = 7000;

/** Any key will do as long as every process uses the same one: the feed's writer lock on PostgreSQL. */
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
 * Runs `statements` and writes `events` to the feed, all or nothing, and returns the events with their ids. On the
 * embedded database they go as one write set (`writeTogether`), or with `along` in a transaction; on PostgreSQL as
 * one statement with the feed's lock and notices (store/changeAtOnce.ts).
 */
export async function writeWithFeed(db: Db, statements: CompiledQuery[], events: NewLiveEvent[], along?: AlongWith): Promise<LiveEvent[]> {
  if (dialectOf(db) === 'postgres') return writeAtOnce(db, statements, events, along);
  if (!along) {
    const results = await writeTogether(db, [...statements, ...feedInserts(db, events)]);
    return fedEvents(events, results.slice(statements.length));
  }
  const written = await db.transaction().execute(async (trx) => {
    const [result] = await executeInOrder(trx, [along.statement]);
    if (Number(result!.numAffectedRows ?? 0) !== along.rows) throw new Error(along.refused);
    await executeInOrder(trx, statements);
    return appendLiveEvents(trx, events);
  });
  along.committed = true;
  return written;
}

/** Writes events to the feed inside the caller's transaction and returns them with their ids, in order. */
export async function appendLiveEvents(trx: Kysely<Database>, events: NewLiveEvent[]): Promise<LiveEvent[]> {
  if (events.length === 0) return [];
  if (!(trx.getExecutor().adapter instanceof PostgresAdapter)) return fedEvents(events, await executeInOrder(trx, feedInserts(trx, events)));
  const feed = feedWrites(events, 1);
  const { rows } = await trx.executeQuery<{ id: number }>(CompiledQuery.raw(`with ${feed.sql} select id from feed`, feed.parameters));
  return numbered(events, rows);
}

/**
 * PostgreSQL: the `with` clauses that write `events` to the feed in one round trip, parameters numbered from
 * `$first`: the feed's lock (taken before any id is drawn: the insert joins the lock's row), the rows in the order
 * given, and a notice for each, built from the row as stored (by id when too large for a notice). `feed` returns
 * each row's id.
 */
export function feedWrites(events: NewLiveEvent[], first: number): { sql: string; parameters: unknown[] } {
  const rows = events.map(rowOf);
  const parameters: unknown[] = [FEED_LOCK_KEY, LIVE_EVENTS_CHANNEL, NOTICE_LIMIT - 400];
  for (const name of ['account_sid', 'call_sid', 'payment_sid', 'kind', 'params', 'at'] as const) parameters.push(rows.map((row) => row[name]));
  const $ = (i: number) => `$${first + i}`;
  const sql = `feed_lock as (select pg_advisory_xact_lock(${$(0)})),
    feed as (insert into live_events (account_sid, call_sid, payment_sid, kind, params, at)
      select e.account_sid, e.call_sid, e.payment_sid, e.kind, e.params, e.at
      from feed_lock, unnest(${$(3)}::varchar[], ${$(4)}::varchar[], ${$(5)}::varchar[], ${$(6)}::varchar[], ${$(7)}::text[], ${$(8)}::bigint[])
        with ordinality as e(account_sid, call_sid, payment_sid, kind, params, at, n)
      order by e.n
      returning id, pg_notify(${$(1)}, case when octet_length(params) < ${$(2)}
        then json_build_object('accountSid', account_sid, 'callSid', call_sid, 'paymentSid', payment_sid, 'kind', kind, 'params', params::json, 'at', at, 'id', id)::text
        else json_build_object('id', id, 'accountSid', account_sid)::text end))`;
  return { sql, parameters };
}

/** The events with the ids the feed gave them: drawn in insert order, which is the order given. */
export function numbered(events: NewLiveEvent[], rows: Array<{ id: number | string }>): LiveEvent[] {
  const ids = rows.map((row) => Number(row.id)).sort((a, b) => a - b);
  return events.map((event, i) => ({ ...event, id: ids[i]! }));
}

export class LiveEventStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** The account's events after `afterId`, oldest first, at most `limit`. */
  async since(accountSid: string, afterId: number, filter: LiveEventFilter, limit: number): Promise<LiveEvent[]> {
    let query = this.db.selectFrom('live_events').selectAll().where('account_sid', '=', accountSid).where('id', '>', afterId);
    if (filter.callSid !== undefined) query = query.where('call_sid', '=', filter.callSid);
    if (filter.paymentSid !== undefined) query = query.where('payment_sid', '=', filter.paymentSid);
    const rows = await query.orderBy('id').limit(limit).execute();
    return rows.map(toEvent);
  }
}
