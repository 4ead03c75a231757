/**
 * Writes the outcome of callback attempts onto their rows, many in one transaction: every outcome that comes in
 * while a batch is written goes into the next one. A commit per callback cost more than the rest of its
 * delivery; a batch costs about one.
 *
 * An outcome is on the row once `record` resolves. Until then the callback counts as unsent: if the process dies
 * first, it goes again with the same idempotency token, which is what receivers dedupe on.
 *
 * @example
 *   const recorder = new AttemptRecorder(db);
 *   await recorder.record(row, { attempts: 1, delivery_status: 'delivered', ... });
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

export interface AttemptRecord {
  attempts: number;
  delivery_status: 'pending' | 'delivered' | 'failed';
  last_attempt_at: number;
  last_response_code: number | null;
  last_error: string | null;
  next_attempt_at: number | null;
}

/** The row an attempt was made from: the outcome is written only if the row is still as it was read. */
export interface AttemptedRow {
  session_sid: string;
  seq: number;
  attempts: number;
}

interface Unrecorded {
  row: AttemptedRow;
  record: AttemptRecord;
  recorded(): void;
  failed(err: unknown): void;
}

export class AttemptRecorder {
  private next: Unrecorded[] = [];
  private writing = false;
  private scheduled = false;

  constructor(private readonly db: Kysely<Database>) {}

  /** Resolves once the outcome is written; rejects (nothing of its batch written) if the store fails. */
  record(row: AttemptedRow, record: AttemptRecord): Promise<void> {
    return new Promise((recorded, failed) => {
      this.next.push({ row, record, recorded, failed });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.writing || this.scheduled) return;
    this.scheduled = true;
    // After the current I/O callbacks: the attempts answered together go in one batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.write();
    });
  }

  private async write(): Promise<void> {
    const batch = this.next;
    this.next = [];
    this.writing = true;
    try {
      await writeAttempts(this.db, batch);
      for (const attempt of batch) attempt.recorded();
    } catch (err) {
      for (const attempt of batch) attempt.failed(err);
    } finally {
      this.writing = false;
      if (this.next.length > 0) this.schedule();
    }
  }
}

async function writeAttempts(db: Kysely<Database>, batch: Unrecorded[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const { row, record } of batch) {
      await trx
        .updateTable('session_events')
        .set({ ...record, lease_owner: null, lease_until: null })
        .where('session_sid', '=', row.session_sid)
        .where('seq', '=', row.seq)
        .where('delivery_status', '=', 'pending')
        .where('attempts', '=', row.attempts)
        .execute();
    }
  });
}
