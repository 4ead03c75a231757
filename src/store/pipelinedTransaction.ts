/**
 * A PostgreSQL transaction in one round trip: BEGIN, the statements and COMMIT are written to one connection
 * together (node-postgres' pipeline mode) and PostgreSQL answers them together. Awaited one by one, as Kysely runs a
 * transaction, a session change took a round trip per statement (8 for a keypress), and the feed's lock
 * (liveEvents.ts), taken by its last statements, was held across the round trips of those and of the COMMIT.
 *
 * Each statement still runs on its own and in order. When one fails, PostgreSQL refuses the ones after it in the
 * transaction and answers the COMMIT with a rollback: nothing is written, and the first error is the one thrown. A
 * statement that must stop the transaction on a condition it checks (a keypress already played) fails on purpose.
 *
 * The statements go as named prepared statements, parsed once per connection, so PostgreSQL plans each text once.
 *
 * @example
 *   const [session, event] = await pipelinedTransaction(pool, [updateSession.compile(db, change), insertEvent.compile(db, row)]);
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { CompiledQuery, QueryResult } from 'kysely';

/** Statement texts given a name so far; past this many (texts built per call), the rest go unnamed. */
const MAX_NAMED = 256;
const names = new Map<string, string>();

function nameOf(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED) {
    name = `paytone_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    names.set(text, name);
  }
  return name;
}

const COUNTED = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

function asKysely(result: pg.QueryResult): QueryResult<unknown> {
  return { rows: result.rows ?? [], numAffectedRows: COUNTED.has(result.command) ? BigInt(result.rowCount ?? 0) : undefined };
}

export async function pipelinedTransaction(pool: pg.Pool, queries: readonly CompiledQuery[]): Promise<QueryResult<unknown>[]> {
  const client = await pool.connect();
  let failed = false;
  try {
    const sent = [
      client.query('BEGIN'),
      ...queries.map((query) => client.query({ name: nameOf(query.sql), text: query.sql, values: [...query.parameters] })),
      client.query('COMMIT'),
    ];
    const settled = await Promise.allSettled(sent);
    const refusal = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (refusal) {
      failed = true;
      throw refusal.reason;
    }
    const results = settled.map((outcome) => (outcome as PromiseFulfilledResult<pg.QueryResult>).value);
    // A COMMIT that PostgreSQL turned into a rollback fails no query: its command says so.
    if (results.at(-1)!.command !== 'COMMIT') {
      failed = true;
      throw new Error('the transaction was rolled back');
    }
    return results.slice(1, -1).map(asKysely);
  } finally {
    // After a failure the connection's state is not worth trusting: it is closed, not handed to the next caller.
    client.release(failed);
  }
}

/** The most statements one turn's transaction carries; more go in further transactions. */
const MAX_PER_TURN = 256;

interface TurnWrite {
  query: CompiledQuery;
  resolve(result: QueryResult<unknown>): void;
  reject(err: unknown): void;
}

const turns = new WeakMap<pg.Pool, TurnWrite[]>();

/**
 * Writes one statement with the others written in the same turn of the event loop, as one pipelined transaction:
 * what the callback outbox records, one outcome per callback, costs one round trip per turn instead of one each. A
 * transaction that fails fails every write in it.
 *
 * @example
 *   await pipelinedInTurn(pool, recordAttempt.compile(db, outcome));
 */
export function pipelinedInTurn(pool: pg.Pool, query: CompiledQuery): Promise<QueryResult<unknown>> {
  return new Promise((resolve, reject) => {
    let waiting = turns.get(pool);
    if (!waiting) {
      waiting = [];
      turns.set(pool, waiting);
      setImmediate(() => {
        turns.delete(pool);
        for (let at = 0; at < waiting!.length; at += MAX_PER_TURN) void writeTurn(pool, waiting!.slice(at, at + MAX_PER_TURN));
      });
    }
    waiting.push({ query, resolve, reject });
  });
}

async function writeTurn(pool: pg.Pool, writes: TurnWrite[]): Promise<void> {
  try {
    const results = writes.length === 1 ? [asKysely(await pool.query(writes[0]!.query.sql, [...writes[0]!.query.parameters]))] : await pipelinedTransaction(pool, writes.map((w) => w.query));
    writes.forEach((write, i) => write.resolve(results[i]!));
  } catch (err) {
    for (const write of writes) write.reject(err);
  }
}
