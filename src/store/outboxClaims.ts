/**
 * The callback outbox's claim when every process of a cluster drains the same table: due session heads are taken
 * with `FOR UPDATE SKIP LOCKED` (two processes never take the same row in the same instant) and leased to this
 * member (no other process takes the row while the lease holds). A lease ends when the attempt is recorded, when
 * it expires, or when its member is gone, so the callbacks a killed process was sending go again at once, with
 * the same content and idempotency token.
 *
 * @example
 *   const outbox = new CallbackOutbox({ db, ..., claims: new LeasedOutboxClaims(db, member.id, 20_000) });
 */
import { sql } from 'kysely';
import { HEAD_COLUMNS, MAX_SEQUENCE, type CallbackRow, type OutboxClaims } from '../callbacks/outbox.js';
import { memberIsAlive } from './cluster.js';
import type { Db } from './database.js';

export class LeasedOutboxClaims implements OutboxClaims {
  constructor(
    private readonly db: Db,
    private readonly memberId: string,
    /** Longer than one delivery attempt may take, so a live sender never loses its lease mid-POST. */
    private readonly leaseMs: number,
  ) {}

  async claimDue(inFlight: string[], limit: number, now: number): Promise<{ due: CallbackRow[]; nextDueAt: number | null }> {
    // A session's head comes with the pending callbacks after it that may go with it, as one sequence: due, to the
    // same URL, none of another URL or not yet due in between. The lease covers the whole sequence at the pace
    // of one callback per lease, so no other process takes one of them while this one may still be sending it.
    const claimed = await sql<CallbackRow>`
      with heads as (
        select e.session_sid, e.seq, e.url from session_events e
        where e.delivery_status = 'pending' and e.next_attempt_at <= ${now}
          and not exists (
            select 1 from session_events earlier
            where earlier.session_sid = e.session_sid and earlier.seq < e.seq and earlier.delivery_status = 'pending'
          )
          and not (e.session_sid = any(${inFlight}::varchar[]))
          and (e.lease_owner is null or e.lease_owner = ${this.memberId} or e.lease_until < ${now} or not ${memberIsAlive('e.lease_owner')})
        order by e.next_attempt_at, e.session_sid
        limit ${limit}
        for update of e skip locked
      ), sequences as (
        select h.session_sid, f.seq, count(*) over (partition by h.session_sid) as length from heads h
        cross join lateral (
          select n.seq from session_events n
          where n.session_sid = h.session_sid and n.seq >= h.seq and n.delivery_status = 'pending'
            and n.url = h.url and n.next_attempt_at <= ${now}
            and not exists (
              select 1 from session_events gap
              where gap.session_sid = h.session_sid and gap.seq > h.seq and gap.seq < n.seq and gap.delivery_status = 'pending'
                and (gap.url <> h.url or gap.next_attempt_at > ${now})
            )
          order by n.seq
          limit ${MAX_SEQUENCE}
        ) f
      )
      update session_events as t set lease_owner = ${this.memberId}, lease_until = ${now}::bigint + ${this.leaseMs}::bigint * c.length
      from sequences c
      where t.session_sid = c.session_sid and t.seq = c.seq
      returning ${sql.join(HEAD_COLUMNS.map((column) => sql.ref(`t.${column}`)))}`.execute(this.db);
    // Sessions soonest due first, each session's callbacks in order.
    const firstDue = new Map<string, number>();
    for (const row of claimed.rows) firstDue.set(row.session_sid, Math.min(firstDue.get(row.session_sid) ?? Infinity, row.next_attempt_at ?? 0));
    const due = [...claimed.rows].sort((a, b) => firstDue.get(a.session_sid)! - firstDue.get(b.session_sid)! || a.session_sid.localeCompare(b.session_sid) || a.seq - b.seq);
    // Each delivery started looks again when it ends: the next due time matters only when nothing is due now.
    if (due.length > 0) return { due, nextDueAt: null };
    const next = await this.db
      .selectFrom('session_events')
      .select((eb) => eb.fn.min('next_attempt_at').as('at'))
      .where('delivery_status', '=', 'pending')
      .where('next_attempt_at', '>', now)
      .executeTakeFirst();
    return { due, nextDueAt: next?.at == null ? null : Number(next.at) };
  }

  async release(rows: CallbackRow[]): Promise<void> {
    if (rows.length === 0) return;
    await sql`
      update session_events as t set lease_owner = null, lease_until = null
      from unnest(${rows.map((row) => row.session_sid)}::varchar[], ${rows.map((row) => row.seq)}::int[]) as r(session_sid, seq)
      where t.session_sid = r.session_sid and t.seq = r.seq and t.lease_owner = ${this.memberId}`.execute(this.db);
  }
}
