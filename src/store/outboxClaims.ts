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
import { HEAD_COLUMNS, type CallbackRow, type OutboxClaims } from '../callbacks/outbox.js';
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
    const claimed = await sql<CallbackRow>`
      update session_events as t set lease_owner = ${this.memberId}, lease_until = ${now + this.leaseMs}
      from (
        select e.session_sid, e.seq from session_events e
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
      ) as c
      where t.session_sid = c.session_sid and t.seq = c.seq
      returning ${sql.join(HEAD_COLUMNS.map((column) => sql.ref(`t.${column}`)))}`.execute(this.db);
    const due = [...claimed.rows].sort((a, b) => (a.next_attempt_at ?? 0) - (b.next_attempt_at ?? 0));
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
    for (const row of rows) {
      await this.db
        .updateTable('session_events')
        .set({ lease_owner: null, lease_until: null })
        .where('session_sid', '=', row.session_sid)
        .where('seq', '=', row.seq)
        .where('lease_owner', '=', this.memberId)
        .execute();
    }
  }
}
