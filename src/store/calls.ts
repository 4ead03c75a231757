/**
 * Calls of the sandbox telephony, stored so that they survive restarts and can be listed like Twilio's.
 *
 * Every Payments and keypad request looks its call up. When this process is the only one writing calls, the calls
 * it placed stay in memory while they are in progress, so those lookups cost no query; in a cluster another
 * process may end a call at any time, so every lookup reads the database.
 *
 * @example
 *   const calls = new CallStore(db, { shared: false });
 *   await calls.get(accountSid, callSid); // null when the account has no such call
 */
import type { CompiledQuery } from 'kysely';
import type { Db } from './database.js';
import type { CallsTable } from './schema.js';
import type { CallRecord, CallStatus } from '../domain/callView.js';
import { callLiveEvent, type LiveEvent } from '../domain/liveEvents.js';
import { writeWithFeed } from './liveEvents.js';
import { builtOnce, type Param } from './compiledQuery.js';
import { insertEvent } from './sessionStatements.js';
import { BoundedMemory } from '../domain/boundedMemory.js';

function toRecord(row: CallsTable): CallRecord {
  return {
    sid: row.sid,
    accountSid: row.account_sid,
    to: row.to_number,
    from: row.from_number,
    status: row.status as CallStatus,
    direction: row.direction,
    url: row.url,
    twiml: row.twiml,
    statusCallback: row.status_callback,
    statusCallbackMethod: row.status_callback_method,
    dateCreated: Number(row.date_created),
    dateUpdated: Number(row.date_updated),
    startTime: row.start_time === null ? null : Number(row.start_time),
    endTime: row.end_time === null ? null : Number(row.end_time),
  };
}

export interface CallListFilter {
  status?: string;
  to?: string;
  from?: string;
  limit: number;
  offset: number;
}

const insertCall = builtOnce((db, p: Param<CallsTable>) =>
  db.insertInto('calls').values({
    sid: p('sid'),
    account_sid: p('account_sid'),
    to_number: p('to_number'),
    from_number: p('from_number'),
    status: p('status'),
    direction: p('direction'),
    url: p('url'),
    twiml: p('twiml'),
    status_callback: p('status_callback'),
    status_callback_method: p('status_callback_method'),
    date_created: p('date_created'),
    date_updated: p('date_updated'),
    start_time: p('start_time'),
    end_time: p('end_time'),
  }),
);
const selectCall = builtOnce((db, p: Param<{ sid: string; accountSid: string }>) =>
  db.selectFrom('calls').selectAll().where('sid', '=', p('sid')).where('account_sid', '=', p('accountSid')),
);

/** In-progress calls kept in memory at most; past it the oldest are read from the database again. */
const MAX_REMEMBERED_CALLS = 50_000;

export class CallStore {
  /** In-progress calls this process placed, by sid; null when other processes share the store. */
  private readonly inProgress: BoundedMemory<string, CallRecord> | null;

  constructor(
    private readonly db: Db,
    options: { shared: boolean },
  ) {
    this.inProgress = options.shared ? null : new BoundedMemory(MAX_REMEMBERED_CALLS);
  }

  /** Stores a new call and its live `call-status` event, which it returns. */
  async insert(call: CallRecord): Promise<LiveEvent[]> {
    const insert = insertCall.compile(this.db, {
      sid: call.sid,
      account_sid: call.accountSid,
      to_number: call.to,
      from_number: call.from,
      status: call.status,
      direction: call.direction,
      url: call.url,
      twiml: call.twiml,
      status_callback: call.statusCallback,
      status_callback_method: call.statusCallbackMethod,
      date_created: call.dateCreated,
      date_updated: call.dateUpdated,
      start_time: call.startTime,
      end_time: call.endTime,
    });
    const live = await writeWithFeed(this.db, [insert], [callLiveEvent(call)]);
    this.remember(call);
    return live;
  }

  private remember(call: CallRecord): void {
    if (!this.inProgress || call.status !== 'in-progress') return;
    this.inProgress.set(call.sid, call);
  }

  async get(accountSid: string, sid: string): Promise<CallRecord | null> {
    const remembered = this.inProgress?.get(sid);
    if (remembered) return remembered.accountSid === accountSid ? remembered : null;
    const [row] = (await selectCall.execute(this.db, { sid, accountSid })).rows;
    return row ? toRecord(row) : null;
  }

  async list(accountSid: string, filter: CallListFilter): Promise<CallRecord[]> {
    let query = this.db.selectFrom('calls').selectAll().where('account_sid', '=', accountSid);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.to) query = query.where('to_number', '=', filter.to);
    if (filter.from) query = query.where('from_number', '=', filter.from);
    const rows = await query
      .orderBy('date_created', 'desc')
      .orderBy('sid', 'desc')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute();
    return rows.map(toRecord);
  }

  /**
   * Ends a call and, when the call has a StatusCallback, queues its status callback in the same transaction
   * (in the outbox table, keyed by the call sid), with the live `call-status` event it returns.
   */
  async end(
    call: CallRecord,
    status: CallStatus,
    now: number,
    callback: (ended: CallRecord) => { url: string; params: Record<string, string> } | null = () => null,
  ): Promise<{ ended: CallRecord; live: LiveEvent[] }> {
    const ended: CallRecord = { ...call, status, endTime: now, dateUpdated: now };
    const event = callback(ended);
    // Forgotten before the change, so no lookup while it commits is answered from memory with the old status.
    this.inProgress?.delete(call.sid);
    const statements: CompiledQuery[] = [this.db.updateTable('calls').set({ status, end_time: now, date_updated: now }).where('sid', '=', call.sid).compile()];
    if (event) {
      statements.push(
        insertEvent.compile(this.db, {
          session_sid: call.sid,
          seq: 1,
          account_sid: call.accountSid,
          call_sid: call.sid,
          kind: 'call-status',
          params: JSON.stringify(event.params),
          url: event.url,
          at: now,
          delivery_status: 'pending',
          attempts: 0,
          next_attempt_at: now,
        }),
      );
    }
    return { ended, live: await writeWithFeed(this.db, statements, [callLiveEvent(ended)]) };
  }
}
