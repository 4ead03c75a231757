/**
 * Reads paytone's own database (read-only) for the facts only it holds: when each callback's event was
 * decided, and how many callbacks it owes. The embedded file of one process, or a cluster's PostgreSQL database.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

export interface BenchStore {
  /** Every callback paytone has queued, and how many of them it still holds as pending. */
  outboxCounts(): Promise<{ total: number; pending: number }>;
  /** When the session took each keypress of a field (epoch ms), by the callback's idempotency token. */
  captureEventTimes(): Promise<Map<string, number>>;
}

const OUTBOX = "SELECT count(*) AS total, coalesce(sum(CASE WHEN delivery_status = 'pending' THEN 1 ELSE 0 END), 0) AS pending FROM session_events";
const CAPTURES = "SELECT session_sid, seq, at FROM session_events WHERE kind = 'capture'";

type Row = { session_sid: string; seq: number; at: number };
const byToken = (rows: Row[]) => new Map(rows.map((r) => [`${r.session_sid}-${r.seq}`, Number(r.at)]));

export function embeddedStore(dataDir: string): BenchStore {
  const read = <T>(task: (db: Database.Database) => T): T => {
    const db = new Database(path.join(dataDir, 'paytone.db'), { readonly: true, fileMustExist: true });
    try {
      return task(db);
    } finally {
      db.close();
    }
  };
  return {
    outboxCounts: async () => read((db) => db.prepare(OUTBOX).get() as { total: number; pending: number }),
    captureEventTimes: async () => read((db) => byToken(db.prepare(CAPTURES).all() as Row[])),
  };
}

export function postgresStore(databaseUrl: string): BenchStore {
  const read = async <T extends pg.QueryResultRow>(text: string): Promise<T[]> => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return (await client.query<T>(text)).rows;
    } finally {
      await client.end();
    }
  };
  return {
    async outboxCounts() {
      const [row] = await read<{ total: string; pending: string }>(OUTBOX);
      return { total: Number(row!.total), pending: Number(row!.pending) };
    },
    captureEventTimes: async () => byToken(await read<Row>(CAPTURES)),
  };
}
