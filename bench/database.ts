/**
 * Reads paytone's own database (read-only) for the facts only it holds: when each callback's event was
 * decided, and how many callbacks it owes.
 */
import path from 'node:path';
import Database from 'better-sqlite3';

function open(dataDir: string): Database.Database {
  return new Database(path.join(dataDir, 'paytone.db'), { readonly: true, fileMustExist: true });
}

/** Every callback paytone has queued, and how many of them it still holds as pending. */
export function outboxCounts(dataDir: string): { total: number; pending: number } {
  const db = open(dataDir);
  try {
    return db.prepare("SELECT count(*) AS total, coalesce(sum(delivery_status = 'pending'), 0) AS pending FROM session_events").get() as {
      total: number;
      pending: number;
    };
  } finally {
    db.close();
  }
}

/** When the session took each keypress of a field (epoch ms), by the callback's idempotency token. */
export function captureEventTimes(dataDir: string): Map<string, number> {
  const db = open(dataDir);
  try {
    const rows = db.prepare("SELECT session_sid, seq, at FROM session_events WHERE kind = 'capture'").all() as Array<{ session_sid: string; seq: number; at: number }>;
    return new Map(rows.map((r) => [`${r.session_sid}-${r.seq}`, r.at]));
  } finally {
    db.close();
  }
}
