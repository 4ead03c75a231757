/**
 * Counts for the metrics endpoint, read from the database at scrape time so that every process of a cluster
 * reports the same, whole picture.
 *
 * @example
 *   await sessionCountsByStatus(db) // [{ status: 'in-progress', count: 3 }, { status: 'completed', count: 41 }]
 */
import type { Db } from './database.js';

export async function sessionCountsByStatus(db: Db): Promise<Array<{ status: string; count: number }>> {
  const rows = await db
    .selectFrom('payment_sessions')
    .select(({ fn }) => ['status', fn.countAll<number | string | bigint>().as('count')])
    .groupBy('status')
    .execute();
  return rows.map((row) => ({ status: row.status, count: Number(row.count) }));
}

/** Callbacks waiting in the outbox (due now or later), and when the oldest of them was emitted. */
export async function outboxBacklog(db: Db): Promise<{ pending: number; oldestAt: number | null }> {
  const row = await db
    .selectFrom('session_events')
    .select(({ fn }) => [fn.countAll<number | string | bigint>().as('pending'), fn.min<number | string | null>('at').as('oldest')])
    .where('delivery_status', '=', 'pending')
    .executeTakeFirst();
  return { pending: Number(row?.pending ?? 0), oldestAt: row?.oldest === null || row?.oldest === undefined ? null : Number(row.oldest) };
}
