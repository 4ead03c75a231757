/**
 * What lets several paytone processes share one PostgreSQL database, in PostgreSQL's own terms:
 *
 * - Membership: each process holds an advisory lock named after its member id on a connection of its own for as
 *   long as it runs. PostgreSQL drops the lock the moment that connection ends (a `kill -9` closes the socket), so
 *   "is member X alive?" is a question the database answers exactly, with no heartbeat to tune.
 * - Serialization: work on one session (or call) runs inside a transaction holding a transaction-scoped advisory
 *   lock on its key; a process that dies mid-way rolls back and lets go at once.
 * - Claims: callbacks and keypresses are claimed with `FOR UPDATE SKIP LOCKED` and a lease naming the member;
 *   a lease is void when it expires or when its member is gone.
 *
 * @example
 *   const member = await ClusterMember.join(databaseUrl, (err) => log.fatal({ err }, 'lost the database'));
 *   const locks = new AdvisoryLocks(databaseUrl);
 *   await locks.run('PK...', async () => { ... });
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { pgPackage } from '../ops/onFirstUse.js';
import { sql, type RawBuilder } from 'kysely';
import { postgresPool, type Db } from './database.js';
import type { DatabaseTraffic } from './databaseTraffic.js';

const MEMBER_LOCK = 'paytone-member:';
/**
 * Connections each process holds session locks on: one per change in flight. The sandbox keypad plays as many calls
 * at once as this leaves over after API requests (src/telephony/storedKeypad.ts). With the query pool's 8
 * (database.ts) and the membership's 1, a process opens 19, so that two three-process clusters fit in PostgreSQL's
 * default `max_connections` of 100 (16 here, 27 a process, did not: "sorry, too many clients already").
 */
export const SESSION_LOCK_CONNECTIONS = 10;
const WORK_LOCK = 'paytone-work:';

/**
 * SQL that is true while the member whose id is in `owner` (a column reference) holds its membership lock.
 * Advisory locks taken with one bigint key show in pg_locks as classid (high 32 bits) and objid (low 32 bits).
 */
export function memberIsAlive(owner: string): RawBuilder<boolean> {
  return sql<boolean>`exists (
    select 1 from pg_locks l
    where l.locktype = 'advisory' and l.granted and l.objsubid = 1
      and l.database = (select oid from pg_database where datname = current_database())
      and ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended(${MEMBER_LOCK} || ${sql.ref(owner)}, 0)
  )`;
}

/** This process's place in the cluster: an id, held as an advisory lock on a dedicated connection. */
export class ClusterMember {
  private leaving = false;

  private constructor(
    readonly id: string,
    /** The membership connection; live-event LISTENs share it. */
    readonly client: pg.Client,
  ) {}

  /** Joins the cluster; `onLost` is told if the membership connection ends while the process still runs. */
  static async join(databaseUrl: string, onLost: (err: Error) => void, traffic?: DatabaseTraffic): Promise<ClusterMember> {
    const id = randomUUID();
    const client = new (pgPackage().Client)({ connectionString: databaseUrl, keepAlive: true, application_name: `paytone member ${id}` });
    traffic?.watch(client);
    await client.connect();
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [MEMBER_LOCK + id]);
    const member = new ClusterMember(id, client);
    const lost = (err: Error) => {
      if (!member.leaving) onLost(err);
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('the membership connection to PostgreSQL ended')));
    return member;
  }

  async leave(): Promise<void> {
    this.leaving = true;
    await this.client.end().catch(() => undefined);
  }
}

/** A read made under a lock, in the round trip that takes it: SQL text whose values are `literal(...)`s. */
export interface LockedRead<R> {
  text(literal: (value: string) => string): string;
  parse(rows: Array<Record<string, unknown>>): R;
}

/**
 * Runs tasks one at a time per key across every process of the cluster: each task runs while this process holds
 * a transaction-scoped advisory lock on the key, on a connection pool of its own (so a task's queries never wait
 * for a connection held by a task waiting for a lock).
 */
export class AdvisoryLocks {
  private readonly pool: pg.Pool;

  constructor(databaseUrl: string, maxConnections = SESSION_LOCK_CONNECTIONS, traffic?: DatabaseTraffic) {
    this.pool = postgresPool(databaseUrl, maxConnections, { connectionTimeoutMillis: 15_000 }, traffic);
  }

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    return this.runReading(key, null, task);
  }

  /**
   * As `run`, with `read` made once the lock is held, in the round trip that takes it: the task starts from what
   * it read instead of asking again. Each statement of a simple query takes a snapshot of its own (READ
   * COMMITTED), and the lock's last holder committed its writes before letting go, so the read sees them.
   */
  async runReading<R, T>(key: string, read: LockedRead<R> | null, task: (read: R) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let found: R;
    try {
      // One round trip: a simple query may hold several statements, so every value goes in as an escaped literal.
      const lock = `BEGIN; SELECT pg_advisory_xact_lock(hashtextextended(${client.escapeLiteral(WORK_LOCK + key)}, 0))`;
      if (read) {
        const results = (await client.query(`${lock}; ${read.text((value) => client.escapeLiteral(value))}`)) as unknown as pg.QueryResult[];
        found = read.parse(results[2]!.rows as Array<Record<string, unknown>>);
      } else {
        await client.query(lock);
        found = undefined as R;
      }
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
    try {
      return await task(found);
    } finally {
      // The task's writes committed on connections of their own: the caller need not wait for the lock to go. The
      // next task on the key waits for it in PostgreSQL; a connection whose state is unknown is closed, never
      // handed to the next task.
      client.query('COMMIT').then(
        () => client.release(),
        (err: Error) => client.release(err),
      );
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

const UNFINISHED_WITH_TIMER = ['in-progress', 'awaiting-confirmation'];

/**
 * Sessions whose timer is due (epoch ms), whichever process armed it, but for those whose caller pressed a key
 * before the deadline that is still queued: that key moves the deadline on (PaymentSessions.passDeadline).
 */
export async function dueDeadlines(db: Db, now: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('payment_sessions as s')
    .select('s.sid')
    .where('s.deadline', '<=', now)
    .where('s.status', 'in', UNFINISHED_WITH_TIMER)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('sandbox_keypresses as k').select('k.id').whereRef('k.call_sid', '=', 's.call_sid').whereRef('k.play_at', '<=', 's.deadline'))),
    )
    .orderBy('s.deadline')
    .limit(limit)
    .execute();
  return rows.map((r) => r.sid);
}

/**
 * Completing sessions nobody is completing: their member is gone (or unknown), or it is this member (whose call
 * may have stopped). Each comes with the owner it had, so a takeover can check nothing changed since.
 */
export async function orphanedCompletions(db: Db, memberId: string): Promise<Array<{ sid: string; owner: string | null }>> {
  const rows = await db
    .selectFrom('payment_sessions')
    .select(['sid', 'gateway_owner'])
    .where('status', '=', 'completing')
    .where((eb) => eb.or([eb('gateway_owner', 'is', null), eb('gateway_owner', '=', memberId), eb.not(memberIsAlive('gateway_owner'))]))
    .execute();
  return rows.map((r) => ({ sid: r.sid, owner: r.gateway_owner }));
}
