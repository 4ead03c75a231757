/**
 * Calls, sandbox and real, stored so that they survive restarts and can be listed like Twilio's, each move stored
 * with the status callback it owes (in the outbox, keyed by the call sid) and its live event.
 *
 * Every Payments and keypad request looks its call up. When this process is the only one writing calls, the calls
 * it placed or moved stay in memory until they end, so those lookups cost no query; in a cluster another process
 * may end a call at any time, so every lookup reads the database.
 *
 * @example
 *   const calls = new CallStore(db, { shared: false });
 *   await calls.get(accountSid, callSid); // null when the account has no such call
 */
import type { CompiledQuery } from 'kysely';
import type { Db } from './database.js';
import type { CallsTable } from './schema.js';
import { CALL_EVENTS, isFinalStatus, type CallDirection, type CallEvent, type CallRecord, type CallStatus } from '../domain/callView.js';
import type { CallStatusCallback } from '../domain/callProgress.js';
import { callLiveEvent, type LiveEvent } from '../domain/liveEvents.js';
import { writeWithFeed } from './liveEvents.js';
import { builtOnce, type Param } from './compiledQuery.js';
import { insertEvent } from './sessionStatements.js';
import { BoundedMemory } from '../domain/boundedMemory.js';

const method = (value: string | null): 'GET' | 'POST' => (value === 'GET' ? 'GET' : 'POST');

function toRecord(row: CallsTable): CallRecord {
  return {
    sid: row.sid,
    accountSid: row.account_sid,
    to: row.to_number,
    from: row.from_number,
    status: row.status as CallStatus,
    direction: row.direction as CallDirection,
    parentCallSid: row.parent_call_sid,
    phoneNumberSid: row.phone_number_sid,
    url: row.url,
    method: method(row.method),
    fallbackUrl: row.fallback_url,
    fallbackMethod: method(row.fallback_method),
    twiml: row.twiml,
    statusCallback: row.status_callback,
    statusCallbackMethod: method(row.status_callback_method),
    statusCallbackEvents: row.status_callback_events === null ? ['completed'] : CALL_EVENTS.filter((e) => row.status_callback_events!.split(' ').includes(e)),
    timeoutSeconds: row.timeout === null ? null : Number(row.timeout),
    sipCallId: row.sip_call_id,
    sipSourceIp: row.sip_source_ip,
    callbacksSent: Number(row.callbacks_sent),
    dateCreated: Number(row.date_created),
    dateUpdated: Number(row.date_updated),
    startTime: row.start_time === null ? null : Number(row.start_time),
    answerTime: row.answer_time === null ? null : Number(row.answer_time),
    endTime: row.end_time === null ? null : Number(row.end_time),
  };
}

function toRow(call: CallRecord): CallsTable {
  return {
    sid: call.sid,
    account_sid: call.accountSid,
    to_number: call.to,
    from_number: call.from,
    status: call.status,
    direction: call.direction,
    parent_call_sid: call.parentCallSid,
    phone_number_sid: call.phoneNumberSid,
    url: call.url,
    method: call.method,
    fallback_url: call.fallbackUrl,
    fallback_method: call.fallbackMethod,
    twiml: call.twiml,
    status_callback: call.statusCallback,
    status_callback_method: call.statusCallbackMethod,
    status_callback_events: eventsText(call.statusCallbackEvents),
    timeout: call.timeoutSeconds,
    sip_call_id: call.sipCallId,
    sip_source_ip: call.sipSourceIp,
    callbacks_sent: call.callbacksSent,
    date_created: call.dateCreated,
    date_updated: call.dateUpdated,
    start_time: call.startTime,
    answer_time: call.answerTime,
    end_time: call.endTime,
  };
}

const eventsText = (events: CallEvent[]): string => events.join(' ');

export interface CallListFilter {
  status?: string;
  to?: string;
  from?: string;
  parentCallSid?: string;
  limit: number;
  offset: number;
}

const CALL_COLUMNS: Array<keyof CallsTable> = [
  'sid', 'account_sid', 'to_number', 'from_number', 'status', 'direction', 'parent_call_sid', 'phone_number_sid', 'url', 'method',
  'fallback_url', 'fallback_method', 'twiml', 'status_callback', 'status_callback_method', 'status_callback_events', 'timeout',
  'sip_call_id', 'sip_source_ip', 'callbacks_sent', 'date_created', 'date_updated', 'start_time', 'answer_time', 'end_time',
];

const insertCall = builtOnce((db, p: Param<CallsTable>) => db.insertInto('calls').values(Object.fromEntries(CALL_COLUMNS.map((c) => [c, p(c)])) as unknown as CallsTable));
/** What a move changes: status, times and the callbacks counted; the rest of a call is fixed once placed. */
const updateCall = builtOnce((db, p: Param<Pick<CallsTable, 'sid' | 'status' | 'date_updated' | 'start_time' | 'answer_time' | 'end_time' | 'callbacks_sent'>>) =>
  db
    .updateTable('calls')
    .set({ status: p('status'), date_updated: p('date_updated'), start_time: p('start_time'), answer_time: p('answer_time'), end_time: p('end_time'), callbacks_sent: p('callbacks_sent') })
    .where('sid', '=', p('sid')),
);
const selectCall = builtOnce((db, p: Param<{ sid: string; accountSid: string }>) =>
  db.selectFrom('calls').selectAll().where('sid', '=', p('sid')).where('account_sid', '=', p('accountSid')),
);
const selectCallBySid = builtOnce((db, p: Param<{ sid: string }>) => db.selectFrom('calls').selectAll().where('sid', '=', p('sid')));

/** Calls that have not ended kept in memory at most; past it the oldest are read from the database again. */
const MAX_REMEMBERED_CALLS = 50_000;

export class CallStore {
  /** Calls this process placed or moved that have not ended, by sid; null when other processes share the store. */
  private readonly live: BoundedMemory<string, CallRecord> | null;

  constructor(
    private readonly db: Db,
    options: { shared: boolean },
  ) {
    this.live = options.shared ? null : new BoundedMemory(MAX_REMEMBERED_CALLS);
  }

  /**
   * Stores a new call with the status callbacks its placing owes (in the outbox, keyed by the call sid) and its live
   * `call-status` event, which it returns.
   */
  async insert(call: CallRecord, callbacks: CallStatusCallback[] = []): Promise<LiveEvent[]> {
    const statements = [insertCall.compile(this.db, toRow(call)), ...callbacks.map((c) => this.callbackRow(call, c))];
    const live = await writeWithFeed(this.db, statements, [callLiveEvent(call)]);
    this.remember(call);
    return live;
  }

  /**
   * Stores a call's move (`advanceCall`) with the callback it owes, if any, in one transaction, and returns its live
   * `call-status` event.
   */
  async advance(moved: CallRecord, callback: CallStatusCallback | null): Promise<LiveEvent[]> {
    // Forgotten before the change, so no lookup while it commits is answered from memory with the old status.
    this.live?.delete(moved.sid);
    const statements: CompiledQuery[] = [
      updateCall.compile(this.db, {
        sid: moved.sid,
        status: moved.status,
        date_updated: moved.dateUpdated,
        start_time: moved.startTime,
        answer_time: moved.answerTime,
        end_time: moved.endTime,
        callbacks_sent: moved.callbacksSent,
      }),
    ];
    if (callback) statements.push(this.callbackRow(moved, callback));
    const live = await writeWithFeed(this.db, statements, [callLiveEvent(moved)]);
    this.remember(moved);
    return live;
  }

  private callbackRow(call: CallRecord, callback: CallStatusCallback): CompiledQuery {
    return insertEvent.compile(this.db, {
      session_sid: call.sid,
      seq: callback.seq,
      account_sid: call.accountSid,
      call_sid: call.sid,
      kind: 'call-status',
      params: JSON.stringify(callback.params),
      url: callback.url,
      at: call.dateUpdated,
      delivery_status: 'pending',
      attempts: 0,
      next_attempt_at: call.dateUpdated,
      method: callback.method,
    });
  }

  private remember(call: CallRecord): void {
    if (!this.live) return;
    if (isFinalStatus(call.status)) this.live.delete(call.sid);
    else this.live.set(call.sid, call);
  }

  async get(accountSid: string, sid: string): Promise<CallRecord | null> {
    const remembered = this.live?.get(sid);
    if (remembered) return remembered.accountSid === accountSid ? remembered : null;
    const [row] = (await selectCall.execute(this.db, { sid, accountSid })).rows;
    return row ? toRecord(row) : null;
  }

  /** A call by its sid alone, for the telephony side, which knows calls by sid. */
  async getBySid(sid: string): Promise<CallRecord | null> {
    const remembered = this.live?.get(sid);
    if (remembered) return remembered;
    const [row] = (await selectCallBySid.execute(this.db, { sid })).rows;
    return row ? toRecord(row) : null;
  }

  /** Real calls that have not ended, in every account (see `isSandboxCall`): after a restart, none has legs left. */
  async realCallsUp(): Promise<CallRecord[]> {
    const rows = await this.db
      .selectFrom('calls')
      .selectAll()
      .where('status', 'in', ['queued', 'ringing', 'in-progress'])
      .where((eb) => eb.or([eb('direction', '!=', 'outbound-api'), eb('timeout', 'is not', null)]))
      .execute();
    return rows.map(toRecord);
  }

  async list(accountSid: string, filter: CallListFilter): Promise<CallRecord[]> {
    let query = this.db.selectFrom('calls').selectAll().where('account_sid', '=', accountSid);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.to) query = query.where('to_number', '=', filter.to);
    if (filter.from) query = query.where('from_number', '=', filter.from);
    if (filter.parentCallSid) query = query.where('parent_call_sid', '=', filter.parentCallSid);
    const rows = await query
      .orderBy('date_created', 'desc')
      .orderBy('sid', 'desc')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute();
    return rows.map(toRecord);
  }
}
