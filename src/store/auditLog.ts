/**
 * The audit trail's storage: append and read, nothing else. There is deliberately no update or delete here, and
 * the database's triggers (migration `0004_audit_log`) refuse them from anywhere else too.
 *
 * Requests answered together (they share one fsync) append their entries together: the entries appended before
 * the pending microtasks have run are written together (`write`), one commit instead of one each, and each `append`
 * resolves once its entry is written.
 *
 * @example
 *   await auditLog.append(entry);
 *   const page = await auditLog.list(accountSid, { paymentSid }, 0, 100);
 */
import type { Insertable, Selectable } from 'kysely';
import type { AuditEntry, AuditRecord } from '../domain/audit.js';
import type { AuditLogTable } from './schema.js';
import { builtOnce, type Param } from './compiledQuery.js';
import { dialectOf, writeTogether, type Db } from './database.js';

/** Entries written together at most: on PostgreSQL one statement of 13 parameters each, well inside its limit. */
const MAX_BATCH = 500;

interface Batch {
  rows: Insertable<AuditLogTable>[];
  written: Promise<void>;
}

export interface AuditFilter {
  callSid?: string;
  /** The session's entries; with `callSid`, also those of its call that name no session (keypresses, hanging up). */
  paymentSid?: string;
}

function toRecord(row: Selectable<AuditLogTable>): AuditRecord {
  return {
    id: Number(row.id),
    at: Number(row.at),
    accountSid: row.account_sid,
    credential: row.credential,
    sourceIp: row.source_ip,
    userAgent: row.user_agent,
    action: row.action,
    method: row.method,
    path: row.path,
    callSid: row.call_sid,
    paymentSid: row.payment_sid,
    statusCode: Number(row.status_code),
    errorCode: row.error_code === null ? null : Number(row.error_code),
    parameters: JSON.parse(row.parameters) as Record<string, string>,
  };
}

function toRow(entry: AuditEntry): Insertable<AuditLogTable> {
  return {
    at: entry.at,
    account_sid: entry.accountSid,
    credential: entry.credential,
    source_ip: entry.sourceIp,
    user_agent: entry.userAgent,
    action: entry.action,
    method: entry.method,
    path: entry.path,
    call_sid: entry.callSid,
    payment_sid: entry.paymentSid,
    status_code: entry.statusCode,
    error_code: entry.errorCode,
    parameters: JSON.stringify(entry.parameters),
  };
}

/** One entry, built once: on the embedded database a batch is a write set of these (see `AuditLogStore.write`). */
const insertEntry = builtOnce((db, p: Param<Insertable<AuditLogTable>>) =>
  db.insertInto('audit_log').values({
    at: p('at'),
    account_sid: p('account_sid'),
    credential: p('credential'),
    source_ip: p('source_ip'),
    user_agent: p('user_agent'),
    action: p('action'),
    method: p('method'),
    path: p('path'),
    call_sid: p('call_sid'),
    payment_sid: p('payment_sid'),
    status_code: p('status_code'),
    error_code: p('error_code'),
    parameters: p('parameters'),
  }),
);

export class AuditLogStore {
  /** The batch still taking entries; it is written once the pending microtasks have run. */
  private open: Batch | null = null;

  constructor(private readonly db: Db) {}

  append(entry: AuditEntry): Promise<void> {
    if (!this.open || this.open.rows.length >= MAX_BATCH) this.open = this.startBatch();
    this.open.rows.push(toRow(entry));
    return this.open.written;
  }

  private startBatch(): Batch {
    const rows: Insertable<AuditLogTable>[] = [];
    // Entries appended before the pending microtasks have run go together: the requests a commit answered append
    // theirs as they resume, in the same turn, and their entries join the next commit without waiting a turn.
    const written = Promise.resolve().then(async () => {
      if (this.open?.rows === rows) this.open = null;
      await this.write(rows);
    });
    return { rows, written };
  }

  /**
   * SQLite runs one prepared insert per entry, all in one write set: building a statement of many rows with Kysely
   * cost more than running them. PostgreSQL gets one statement of many rows: one round trip.
   */
  private async write(rows: Insertable<AuditLogTable>[]): Promise<void> {
    if (dialectOf(this.db) === 'sqlite') await writeTogether(this.db, rows.map((row) => insertEntry.compile(this.db, row)));
    else await this.db.insertInto('audit_log').values(rows).execute();
  }

  /** The account's entries after `afterId`, oldest first, at most `limit`. */
  async list(accountSid: string, filter: AuditFilter, afterId: number, limit: number): Promise<AuditRecord[]> {
    let query = this.db.selectFrom('audit_log').selectAll().where('account_sid', '=', accountSid).where('id', '>', afterId);
    if (filter.callSid !== undefined) query = query.where('call_sid', '=', filter.callSid);
    const { paymentSid } = filter;
    if (paymentSid !== undefined && filter.callSid !== undefined) {
      query = query.where((eb) => eb.or([eb('payment_sid', '=', paymentSid), eb('payment_sid', 'is', null)]));
    } else if (paymentSid !== undefined) {
      query = query.where('payment_sid', '=', paymentSid);
    }
    const rows = await query.orderBy('id').limit(limit).execute();
    return rows.map(toRecord);
  }
}
