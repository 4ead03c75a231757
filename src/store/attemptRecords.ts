/**
 * PostgreSQL: the callback attempts answered in one turn of the event loop recorded in one statement
 * (`UPDATE ... FROM unnest(...)`), instead of one update each between a `BEGIN` and a `COMMIT`: at the server's pace
 * a callback a key, the outbox's records were the statement PostgreSQL ran most often. Each row is written only if it
 * is still the pending one its attempt was made from, as one update each would be.
 *
 * @example
 *   await recordInTurn(db, { session_sid, seq, attempts_read: 0, attempts: 1, delivery_status: 'delivered', ... });
 */
import { CompiledQuery } from 'kysely';
import { writeTogether, type Db } from './database.js';

/** What one delivery attempt of a callback leaves on its row. */
export interface AttemptRecord {
  attempts: number;
  delivery_status: 'pending' | 'delivered' | 'failed';
  last_attempt_at: number;
  last_response_code: number | null;
  last_error: string | null;
  next_attempt_at: number | null;
}

export interface AttemptRow extends AttemptRecord {
  session_sid: string;
  seq: number;
  /** The attempts the row had when it was claimed: the row is written only if it still has them. */
  attempts_read: number;
}

/** Rows one statement carries at most; more go in further statements. */
const MAX_PER_STATEMENT = 500;

const RECORD_ATTEMPTS = `update session_events as t set attempts = r.attempts, delivery_status = r.delivery_status,
    last_attempt_at = r.last_attempt_at, last_response_code = r.last_response_code, last_error = r.last_error,
    next_attempt_at = r.next_attempt_at, lease_owner = null, lease_until = null
  from unnest($1::varchar[], $2::int[], $3::int[], $4::int[], $5::varchar[], $6::bigint[], $7::int[], $8::text[], $9::bigint[])
    as r(session_sid, seq, attempts_read, attempts, delivery_status, last_attempt_at, last_response_code, last_error, next_attempt_at)
  where t.session_sid = r.session_sid and t.seq = r.seq and t.delivery_status = 'pending' and t.attempts = r.attempts_read`;

interface Waiting {
  row: AttemptRow;
  resolve(): void;
  reject(err: unknown): void;
}

const turns = new WeakMap<Db, Waiting[]>();

/** Records one attempt with the others recorded in the same turn; a statement that fails fails every record in it. */
export function recordInTurn(db: Db, row: AttemptRow): Promise<void> {
  return new Promise((resolve, reject) => {
    let waiting = turns.get(db);
    if (!waiting) {
      const turn: Waiting[] = [];
      waiting = turn;
      turns.set(db, turn);
      setImmediate(() => {
        turns.delete(db);
        for (let at = 0; at < turn.length; at += MAX_PER_STATEMENT) void write(db, turn.slice(at, at + MAX_PER_STATEMENT));
      });
    }
    waiting.push({ row, resolve, reject });
  });
}

async function write(db: Db, records: Waiting[]): Promise<void> {
  const rows = records.map((r) => r.row);
  const column = <K extends keyof AttemptRow>(name: K) => rows.map((row) => row[name]);
  const statement = CompiledQuery.raw(RECORD_ATTEMPTS, [
    column('session_sid'),
    column('seq'),
    column('attempts_read'),
    column('attempts'),
    column('delivery_status'),
    column('last_attempt_at'),
    column('last_response_code'),
    column('last_error'),
    column('next_attempt_at'),
  ]);
  try {
    await writeTogether(db, [statement]);
    for (const record of records) record.resolve();
  } catch (err) {
    for (const record of records) record.reject(err);
  }
}
