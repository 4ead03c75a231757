/**
 * The sandbox keypad's queue in the database, for a cluster: a keypress accepted by one process (202) is played
 * by whichever process is alive when it falls due, and reaches its session exactly once, because the row leaves
 * the queue in the same transaction as the session change it caused.
 *
 * A key a caller typed is a digit of a card number: each is sealed with the vault for its call before it is
 * stored, since PostgreSQL keeps a played (deleted) row's bytes in dead tuples and in its WAL for a while.
 *
 * Each keypress is due at `play_at`, fixed when it is queued (one every `intervalMs`, `w` a half-second pause): the
 * time the caller pressed it. A call's keys play from the oldest, so they arrive in order and paced like a person
 * typing; those due together play together.
 *
 * @example
 *   const keypresses = new KeypressStore(db, vault);
 *   await keypresses.queue('CA...', '4242#', Date.now(), 150);
 *   const due = await keypresses.claimDue(member.id, Date.now(), 4, 32, { except: [] });
 */
import { sql } from 'kysely';
import { memberIsAlive } from './cluster.js';
import type { Db } from './database.js';
import type { AlongWith } from './liveEvents.js';
import { builtOnce, type Param } from './compiledQuery.js';
import type { Vault } from '../vault/vault.js';

export interface QueuedKeypress {
  id: number;
  callSid: string;
  key: string;
  /** When the caller pressed it (epoch ms). */
  playAt: number;
}

/** How long a process may take to play one keypress before another may play it instead. */
const LEASE_MS = 5_000;
export const KEYPAD_PAUSE_MS = 500;

export class KeypressStore {
  constructor(
    private readonly db: Db,
    private readonly vault: Vault,
  ) {}

  /** Queues `keys` (`0-9 * #`, `w` = pause) after whatever the call still has queued, in one statement. */
  async queue(callSid: string, keys: string, now: number, intervalMs: number): Promise<void> {
    const sealed: string[] = [];
    const offsets: number[] = [];
    let offset = 0;
    for (const key of keys) {
      if (key === 'w') {
        offset += KEYPAD_PAUSE_MS;
        continue;
      }
      sealed.push(this.vault.seal(key, sealedFor(callSid)));
      offsets.push(offset);
      offset += intervalMs;
    }
    if (sealed.length === 0) return;
    // The first key is due now, or one interval after the call's last queued key if that is later.
    await sql`
      insert into sandbox_keypresses (call_sid, key_sealed, play_at)
      select ${callSid}, k.sealed, greatest(${now}::bigint, coalesce((select max(play_at) from sandbox_keypresses where call_sid = ${callSid}) + ${intervalMs}::bigint, ${now}::bigint)) + k.offset_ms
      from unnest(${sealed}::text[], ${offsets}::bigint[]) with ordinality as k(sealed, offset_ms, n)
      order by k.n`.execute(this.db);
  }

  /**
   * The keypresses that are due of up to `limit` calls, leased to `memberId`: of the call in `only` (one whose keys
   * this process is playing), or of calls not in `except`. A call is taken only when its oldest keypress is due and
   * not being played by a live process; then every due keypress of it comes (a prefix of its queue, since later
   * keys are never due earlier), oldest first, at most `perCall`, so that keys due together reach the session in one
   * change.
   */
  async claimDue(memberId: string, now: number, limit: number, perCall: number, calls: { only: string } | { except: string[] }): Promise<QueuedKeypress[]> {
    const callFilter = 'only' in calls ? sql`k.call_sid = ${calls.only}` : sql`not (k.call_sid = any(${calls.except}::varchar[]))`;
    const claimed = await sql<{ id: number; call_sid: string; key_sealed: string; play_at: number }>`
      with heads as (
        select k.call_sid from sandbox_keypresses k
        where k.play_at <= ${now} and ${callFilter}
          and not exists (select 1 from sandbox_keypresses earlier where earlier.call_sid = k.call_sid and earlier.id < k.id)
          and (k.lease_owner is null or k.lease_until < ${now} or not ${memberIsAlive('k.lease_owner')})
        order by k.play_at, k.id
        limit ${limit}
        for update of k skip locked
      ), due as (
        select d.id from heads h
        cross join lateral (
          select id from sandbox_keypresses q where q.call_sid = h.call_sid and q.play_at <= ${now} order by q.id limit ${perCall}
        ) d
      )
      update sandbox_keypresses as t set lease_owner = ${memberId}, lease_until = ${now + LEASE_MS}
      from due
      where t.id = due.id
      returning t.id, t.call_sid, t.key_sealed, t.play_at`.execute(this.db);
    return claimed.rows
      .map((r) => ({ id: Number(r.id), callSid: r.call_sid, key: this.vault.unseal(r.key_sealed, sealedFor(r.call_sid)), playAt: Number(r.play_at) }))
      .sort((a, b) => a.id - b.id);
  }

  /** How many keypresses the call has queued (one being played counts until its change commits). */
  async count(callSid: string): Promise<number> {
    const row = await this.db.selectFrom('sandbox_keypresses').select((eb) => eb.fn.countAll().as('n')).where('call_sid', '=', callSid).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Whether the call has a keypress pressed at or before `at` that has not reached its session yet. */
  async pressedBy(callSid: string, at: number): Promise<boolean> {
    const row = await this.db.selectFrom('sandbox_keypresses').select('id').where('call_sid', '=', callSid).where('play_at', '<=', at).limit(1).executeTakeFirst();
    return row !== undefined;
  }

  /** When the next queued keypress falls due, or null with none queued. */
  async nextDueAt(): Promise<number | null> {
    const next = await this.db.selectFrom('sandbox_keypresses').select((eb) => eb.fn.min('play_at').as('at')).executeTakeFirst();
    return next?.at == null ? null : Number(next.at);
  }

  /**
   * Takes keypresses out of the queue with the session change they caused (`AlongWith`): when one of them was already
   * played, the statement fails (a division by zero: SQL has no other way to refuse from a plain query), and the
   * change with it.
   */
  consumed(ids: number[]): AlongWith {
    return { statement: consumeKeypresses.compile(this.db, { ids, count: ids.length }), refused: `keypresses ${ids.join(', ')} were already played` };
  }

  /** Drops keypresses that changed nothing (no field was requested), or every keypress of a call that ended. */
  async discard(filter: { ids: number[] } | { callSid: string }): Promise<void> {
    const query = this.db.deleteFrom('sandbox_keypresses');
    await ('ids' in filter ? query.where('id', 'in', filter.ids) : query.where('call_sid', '=', filter.callSid)).execute();
  }
}

const consumeKeypresses = builtOnce((db, p: Param<{ ids: number[]; count: number }>) =>
  db
    .with('played', (w) => w.deleteFrom('sandbox_keypresses').where('id', '=', sql<number>`any(${p('ids')}::bigint[])`).returning('id'))
    .selectFrom('played')
    .select(sql<number>`1 / (count(*) = ${p('count')})::int`.as('consumed')),
);

/** The vault context of a call's queued keys: a key sealed for one call does not unseal for another. */
const sealedFor = (callSid: string) => `keypad:${callSid}`;
