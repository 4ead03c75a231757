/**
 * The statements every change to a pay session makes (each keypress makes one), and its lookups, built once
 * (see compiledQuery.ts).
 */
import { CompiledQuery, type Insertable, type Updateable } from 'kysely';
import type { SessionEvent } from '../domain/types.js';
import type { IdempotencyRecordsTable, PaymentSessionsTable, SessionEventsTable } from './schema.js';
import { builtOnce, type Param } from './compiledQuery.js';

export const UNFINISHED = ['in-progress', 'awaiting-confirmation', 'completing'];

export type SessionChange = Required<Pick<Updateable<PaymentSessionsTable>, 'status' | 'state' | 'sealed_secrets' | 'deadline' | 'date_updated' | 'gateway_owner'>>;
type NewSession = SessionChange & Pick<PaymentSessionsTable, 'sid' | 'account_sid' | 'call_sid' | 'date_created'>;

export const insertSession = builtOnce((db, p: Param<NewSession>) =>
  db.insertInto('payment_sessions').values({
    sid: p('sid'),
    account_sid: p('account_sid'),
    call_sid: p('call_sid'),
    status: p('status'),
    state: p('state'),
    sealed_secrets: p('sealed_secrets'),
    deadline: p('deadline'),
    date_created: p('date_created'),
    date_updated: p('date_updated'),
    gateway_owner: p('gateway_owner'),
  }),
);
export const updateSession = builtOnce((db, p: Param<SessionChange & { sid: string }>) =>
  db
    .updateTable('payment_sessions')
    .set({ status: p('status'), state: p('state'), sealed_secrets: p('sealed_secrets'), deadline: p('deadline'), date_updated: p('date_updated'), gateway_owner: p('gateway_owner') })
    .where('sid', '=', p('sid')),
);
/**
 * A change that kept the session's status (a keypress, a field asked for): the status and its gateway caller are
 * left out. SQLite rewrites the index entries of every column a statement sets, changed or not, so setting the
 * status would rewrite the session's entry in `sessions_by_status` on every key.
 */
export const updateSessionState = builtOnce((db, p: Param<Omit<SessionChange, 'status' | 'gateway_owner'> & { sid: string }>) =>
  db
    .updateTable('payment_sessions')
    .set({ state: p('state'), sealed_secrets: p('sealed_secrets'), deadline: p('deadline'), date_updated: p('date_updated') })
    .where('sid', '=', p('sid')),
);
/** A callback's row in the outbox: a session's, or a call's status callback (keyed by the call sid; calls.ts). */
export const insertEvent = builtOnce((db, p: Param<Insertable<SessionEventsTable>>) =>
  db.insertInto('session_events').values({
    session_sid: p('session_sid'),
    seq: p('seq'),
    account_sid: p('account_sid'),
    call_sid: p('call_sid'),
    kind: p('kind'),
    params: p('params'),
    url: p('url'),
    at: p('at'),
    delivery_status: p('delivery_status'),
    attempts: p('attempts'),
    next_attempt_at: p('next_attempt_at'),
    method: p('method'),
  }),
);
/**
 * PostgreSQL: a change's callbacks, two or more, in one statement (the session's columns once, each event's from
 * arrays) instead of one insert each: PostgreSQL binds, executes and reports each statement on its own.
 */
export function insertEventsTogether(session: Pick<SessionEventsTable, 'session_sid' | 'account_sid' | 'call_sid'>, events: readonly SessionEvent[]): CompiledQuery {
  return CompiledQuery.raw(INSERT_EVENTS, [
    session.session_sid,
    session.account_sid,
    session.call_sid,
    events.map((e) => e.seq),
    events.map((e) => e.kind),
    events.map((e) => JSON.stringify(e.params)),
    events.map((e) => e.url),
    events.map((e) => e.at),
    events.map(deliveryStatusOf),
  ]);
}
const INSERT_EVENTS = `insert into session_events (session_sid, seq, account_sid, call_sid, kind, params, url, at, delivery_status, attempts, next_attempt_at)
  select $1, e.seq, $2, $3, e.kind, e.params, e.url, e.at, e.delivery_status, 0, e.at
  from unnest($4::int[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[]) as e(seq, kind, params, url, at, delivery_status)`;

/** An event with no URL (a `<Pay>` session's) is logged, never sent. */
export function deliveryStatusOf(event: SessionEvent): string {
  return event.url === '' ? 'not-sent' : 'pending';
}

/** A request's record, or the newer operation of a request that reused its key and parameters. */
export const upsertIdempotency = builtOnce((db, p: Param<IdempotencyRecordsTable>) =>
  db
    .insertInto('idempotency_records')
    .values({
      account_sid: p('account_sid'),
      scope: p('scope'),
      idempotency_key: p('idempotency_key'),
      fingerprint: p('fingerprint'),
      session_sid: p('session_sid'),
      operation: p('operation'),
      status_code: p('status_code'),
      body: p('body'),
      created_at: p('created_at'),
    })
    .onConflict((oc) =>
      oc.columns(['account_sid', 'scope', 'idempotency_key', 'fingerprint']).doUpdateSet({
        session_sid: p('session_sid'),
        operation: p('operation'),
        status_code: p('status_code'),
        body: p('body'),
        created_at: p('created_at'),
      }),
    ),
);
export const selectSession = builtOnce((db, p: Param<{ sid: string }>) => db.selectFrom('payment_sessions').select(['state', 'sealed_secrets']).where('sid', '=', p('sid')));
export const selectUnfinishedOfCall = builtOnce((db, p: Param<{ callSid: string }>) =>
  db.selectFrom('payment_sessions').select('sid').where('call_sid', '=', p('callSid')).where('status', 'in', UNFINISHED),
);
export const selectIdempotency = builtOnce((db, p: Param<Pick<IdempotencyRecordsTable, 'account_sid' | 'scope' | 'idempotency_key' | 'fingerprint'>>) =>
  db
    .selectFrom('idempotency_records')
    .selectAll()
    .where('account_sid', '=', p('account_sid'))
    .where('scope', '=', p('scope'))
    .where('idempotency_key', '=', p('idempotency_key'))
    .where('fingerprint', '=', p('fingerprint')),
);
