/**
 * The durable outbox of status callbacks: a worker that sends the `pending` rows of `session_events`, in
 * order per session, and records every attempt on the row.
 *
 * Rows are the truth. A callback is written in the same transaction as the session change that caused it;
 * this worker only reads rows, POSTs them and records the outcome. After a crash, a new worker sends whatever
 * is still pending, including a POST that was cut off: it goes again with the same idempotency token, which is
 * what receivers dedupe on. Within one process a row is claimed in memory while in flight, so it is never sent
 * twice at the same time.
 *
 * Only the lowest pending `seq` of a session may go; later callbacks of that session wait until it is delivered
 * or given up. Sessions go in parallel, bounded overall and per receiver origin so that one slow receiver cannot
 * hold up the others; a slot that comes free goes to the session that has waited longest for one. A session whose callbacks are queued in memory sends those due together as one sequence
 * (callbackSender.ts): each leaves once the one before it was delivered, without waiting for that one's outcome to
 * be recorded, which is written as it comes back. A crash in between sends the ones not yet recorded again, in
 * order, with their tokens.
 *
 * When this process is the only sender, a commit hands its callbacks over (`committed`) and they are sent from
 * memory, without being read back (see committedCallbacks.ts).
 *
 * @example
 *   const outbox = new CallbackOutbox({ db, authTokenFor: (sid) => accounts.authToken(sid), logger });
 *   outbox.start();
 *   // after committing a session's new session_events rows:
 *   outbox.committed(sessionSid, accountSid, events, sessionEnded);
 *   // after committing rows some other way:
 *   outbox.kick();
 *   // on shutdown:
 *   await outbox.stop();
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { DeliveryResult } from './deliver.js';
import { CALLBACK_RETRY, type CallbackRetryPolicy, isDelivered, nextAttemptAt, shouldRetry } from './retryPolicy.js';
import { CallbackSender, type CallbackToSend } from './callbackSender.js';
import { ANY_CALLBACK, portableCallbackPolicy, type CallbackPolicy } from '../domain/callbackPolicy.js';
import { urlWithoutSecrets } from '../domain/audit.js';
import { builtOnce, type Param } from '../store/compiledQuery.js';
import { writeInTurn } from '../store/database.js';
import { recordInTurn, type AttemptRecord, type AttemptRow } from '../store/attemptRecords.js';
import { CommittedCallbacks } from './committedCallbacks.js';
import { ReceiverUrls } from './receiverUrls.js';

export interface OutboxOptions {
  db: Kysely<Database>;
  /** The account's auth token: the signing key of its callbacks. */
  authTokenFor(accountSid: string): Promise<string>;
  /** Clock for every stored time (epoch ms); `Date.now` by default. */
  now?: () => number;
  /** Safety poll when nothing is scheduled, in ms; 1000 by default. */
  pollIntervalMs?: number;
  retry?: Partial<CallbackRetryPolicy>;
  logger?: { debug(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; isLevelEnabled?(level: string): boolean };
  /** `User-Agent` of every callback; Twilio's `TwilioProxy/1.1` by default. */
  userAgent?: string;
  /** Where callbacks may go, checked again at each attempt; `any` by default. */
  callbackPolicy?: CallbackPolicy;
  /** Told after each attempt is recorded (metrics); `finishedAt` is when the answer (or the failure) came. */
  onAttempt?(callback: AttemptedCallback, finishedAt: number): void;
  /**
   * Cluster: how due callbacks are claimed when other processes drain the same table. Without it this process is
   * the only sender, its in-flight map is the claim, and it follows up sessions as it commits them.
   */
  claims?: OutboxClaims;
}

/**
 * Claims due callbacks for this process. With other processes draining the same table (a cluster), a claim must
 * keep them off the rows this one is sending; the in-memory claim of the in-flight map is enough otherwise.
 */
export interface OutboxClaims {
  /**
   * Due session heads not in `inFlight`, at most `limit`, claimed for this process, each followed by the callbacks of
   * its session that may go with it (each session's rows together, in seq order); and when the next head falls due.
   */
  claimDue(inFlight: string[], limit: number, now: number): Promise<{ due: CallbackRow[]; nextDueAt: number | null }>;
  /** Gives back claimed rows this process will not send now. */
  release(rows: CallbackRow[]): Promise<void>;
}

/** One callback attempt as the outbox recorded it: what was sent and what came of it. */
export interface AttemptedCallback {
  kind: string;
  /** When the session emitted the event (epoch ms). */
  at: number;
  params: Record<string, string> | null;
  attempts: number;
  deliveryStatus: AttemptRecord['delivery_status'];
}

/**
 * The most callbacks in flight at once, and to any one receiver origin: an app taking the callbacks of a thousand
 * calls typing at once needs dozens of connections, and the other origins keep as many again.
 */
const MAX_IN_FLIGHT = 128;
const MAX_IN_FLIGHT_PER_ORIGIN = 64;
/** How many session heads one pass looks at; more than fit in flight, so a saturated origin does not hide others. */
const HEADS_PER_PASS = 512;
/** The most callbacks of one session sent as one sequence (a card number's keys and the field's end fit). */
export const MAX_SEQUENCE = 32;

export const HEAD_COLUMNS = ['session_sid', 'seq', 'account_sid', 'kind', 'params', 'url', 'method', 'at', 'attempts', 'next_attempt_at'] as const;

export type CallbackRow = Pick<Database['session_events'], (typeof HEAD_COLUMNS)[number]>;

/** A callback on its way out, from a row read back or handed over by its commit, with its parameters read. */
export type OutgoingCallback = Omit<CallbackRow, 'params'> & { params: Record<string, string> | null };

/** A callback as the commit that wrote it knows it (a session event, a call's status). */
export interface CommittedCallback {
  seq: number;
  kind: string;
  params: Record<string, string>;
  url: string;
  /** GET or POST; a pay session's callbacks are always POSTed (null). */
  method?: 'GET' | 'POST' | null;
  at: number;
}

const silentLogger = { debug() {}, warn() {} };

export class CallbackOutbox {
  private readonly db: Kysely<Database>;
  private readonly authTokenFor: (accountSid: string) => Promise<string>;
  private readonly now: () => number;
  private readonly pollIntervalMs: number;
  private readonly retry: CallbackRetryPolicy;
  private readonly logger: NonNullable<OutboxOptions['logger']>;
  private readonly receivers: ReceiverUrls;
  private readonly sender: CallbackSender;
  private readonly onAttempt: NonNullable<OutboxOptions['onAttempt']>;
  private readonly claims: OutboxClaims | undefined;

  private started = false;
  private stopped = false;
  private stopping: Promise<void> | null = null;
  /** In-flight deliveries by session sid: the in-memory claim. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly inFlightByOrigin = new Map<string, number>();
  private pass: Promise<void> | null = null;
  private passAgain = false;
  private kickPending = false;
  /**
   * Sessions to look at on the next pass without scanning the whole outbox: those whose rows were just committed
   * (`kick(sid)`) and those whose callback was just delivered (their next one may go now). A full scan still runs
   * on its own schedule, for retries falling due and rows nobody kicked for.
   */
  private readonly followUp = new Set<string>();
  /** Single sender: the callbacks commits handed over, sent from memory. */
  private readonly committedCallbacks = new CommittedCallbacks();
  /** Sessions whose due callback found no room, oldest first, with the origin it goes to: next in line for a slot. */
  private readonly waiting = new Map<string, string>();
  private fullPassDue = true;
  private nextFullPassAt = 0;
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeAt = 0;
  private changeWaiters: Array<() => void> = [];

  constructor(options: OutboxOptions) {
    this.db = options.db;
    this.authTokenFor = options.authTokenFor;
    this.now = options.now ?? Date.now;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.retry = { ...CALLBACK_RETRY, ...options.retry };
    this.logger = options.logger ?? silentLogger;
    const callbackPolicy = options.callbackPolicy ?? ANY_CALLBACK;
    this.receivers = new ReceiverUrls(callbackPolicy);
    this.onAttempt = options.onAttempt ?? (() => {});
    this.claims = options.claims;
    this.sender = new CallbackSender(
      {
        policy: portableCallbackPolicy(callbackPolicy),
        connectionsPerOrigin: MAX_IN_FLIGHT_PER_ORIGIN,
        timeoutMs: this.retry.timeoutMs,
        userAgent: options.userAgent ?? 'TwilioProxy/1.1',
      },
      this.logger,
    );
  }

  /** Begins draining the outbox. Calling it again does nothing. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.runPass();
  }

  /**
   * New rows were committed: look now, at that session's callbacks only when its sid is given. Kicks made before
   * the pending microtasks have run make one pass; it runs before the event loop turns, so a session's next
   * callback leaves in the turn its previous one was recorded in.
   */
  kick(sessionSid?: string): void {
    if (!this.started || this.stopped) return;
    if (sessionSid === undefined) this.fullPassDue = true;
    else this.followUp.add(sessionSid);
    if (this.kickPending) return;
    this.kickPending = true;
    queueMicrotask(() => {
      this.kickPending = false;
      this.runPass();
    });
  }

  /**
   * A commit wrote these callbacks (in seq order) for a session: they go as `kick(sessionSid)` would send them,
   * without being read back when this process is the only sender. `ended`: the session commits no more callbacks.
   */
  committed(sessionSid: string, accountSid: string, callbacks: readonly CommittedCallback[], ended: boolean): void {
    if (!this.claims) {
      const outgoing = callbacks.map((c) => ({
        session_sid: sessionSid,
        seq: c.seq,
        account_sid: accountSid,
        kind: c.kind,
        params: c.params,
        url: c.url,
        method: c.method ?? null,
        at: c.at,
        attempts: 0,
        next_attempt_at: c.at,
      }));
      this.committedCallbacks.add(sessionSid, outgoing, ended);
    }
    this.kick(sessionSid);
  }

  /**
   * Stops taking new work and waits for the POSTs in flight, at most about one timeout; any still running then
   * are cut off and count as a failed attempt, so the next worker sends them again.
   */
  stop(): Promise<void> {
    this.stopping ??= this.drainAndClose();
    return this.stopping;
  }

  private async drainAndClose(): Promise<void> {
    this.stopped = true;
    this.clearWakeTimer();
    await this.pass;
    const drained = Promise.allSettled([...this.inFlight.values()]).then(() => true);
    let bound: NodeJS.Timeout | undefined;
    const expired = new Promise<false>((resolve) => {
      bound = setTimeout(() => resolve(false), this.retry.timeoutMs + 1000);
    });
    const finished = await Promise.race([drained, expired]);
    clearTimeout(bound);
    await this.sender.close(finished);
    this.notifyChange();
  }

  /**
   * Resolves when no callback is due now and nothing is in flight (tests use it); at once when the outbox is not
   * running. A callback waiting for a later retry does not count as due.
   */
  async idle(): Promise<void> {
    for (;;) {
      const changed = this.nextChange();
      const quiet = this.inFlight.size === 0 && this.pass === null && !this.kickPending;
      if (quiet && (!this.started || this.stopped)) return;
      if (quiet) {
        const [head] = await selectSessionHeads(this.db, [], 1);
        if (head === undefined || (head.next_attempt_at ?? 0) > this.now()) return;
      }
      await changed;
    }
  }

  private runPass(): void {
    if (this.stopped) return;
    if (this.pass !== null) {
      this.passAgain = true;
      return;
    }
    this.pass = this.dispatchUntilSettled().finally(() => {
      this.pass = null;
      this.notifyChange();
    });
  }

  private async dispatchUntilSettled(): Promise<void> {
    let wakeAt: number;
    do {
      this.passAgain = false;
      try {
        wakeAt = await this.dispatchDue();
      } catch (err) {
        this.logger.warn({ error: (err as Error).message }, 'callback outbox pass failed');
        wakeAt = this.now() + this.pollIntervalMs;
      }
    } while (this.passAgain && !this.stopped);
    this.scheduleWake(wakeAt);
  }

  /**
   * Starts every due session head there is room for, among the followed-up sessions or, when a full pass is due,
   * the whole outbox; returns when the next full pass is due.
   *
   * Deliveries start only here, one pass at a time: a session not in flight when a pass reads its head is still not
   * in flight when the pass starts it, so a head read from the database cannot have gone meanwhile.
   */
  private async dispatchDue(): Promise<number> {
    const now = this.now();
    if (this.claims) return this.dispatchClaimed(this.claims, now);
    const full = this.fullPassDue || now >= this.nextFullPassAt;
    let heads: OutgoingCallback[];
    if (full) {
      // Followed-up and waiting sessions stay as they are: the claim query shows only a few heads per receiver.
      this.fullPassDue = false;
      this.nextFullPassAt = now + this.pollIntervalMs;
      const stored = await selectSessionHeads(this.db, [...this.inFlight.keys()], HEADS_PER_PASS);
      // A session whose callbacks are in memory goes from there: the row read is the same callback.
      heads = stored.map((row) => this.committedCallbacks.head(row.session_sid) ?? outgoing(row));
      if (this.followUp.size > 0) this.passAgain = true;
    } else {
      heads = [];
      const unread: string[] = [];
      for (const sessionSid of this.followUp) {
        if (this.inFlight.has(sessionSid)) continue;
        if (!this.committedCallbacks.knows(sessionSid)) unread.push(sessionSid);
        else {
          const head = this.committedCallbacks.head(sessionSid);
          if (head !== undefined) heads.push(head);
        }
      }
      this.followUp.clear();
      if (unread.length > 0) heads.push(...(await selectHeadsOf(this.db, unread)).map(outgoing));
    }
    for (const head of heads) {
      const dueAt = head.next_attempt_at ?? now;
      if (dueAt > now) {
        this.nextFullPassAt = Math.min(this.nextFullPassAt, dueAt);
        // A full pass's heads come sorted by due time: the first one in the future is the last to look at.
        if (full) break;
        continue;
      }
      const { origin } = this.receivers.of(head.url);
      const busy = this.inFlightByOrigin.get(origin) ?? 0;
      if (this.stopped) break;
      if (this.inFlight.size >= MAX_IN_FLIGHT || busy >= MAX_IN_FLIGHT_PER_ORIGIN) {
        this.waiting.set(head.session_sid, origin);
        continue;
      }
      this.waiting.delete(head.session_sid);
      let sequence = [head];
      if (this.committedCallbacks.head(head.session_sid) === head) sequence = this.committedCallbacks.takeInOrder(head.session_sid, MAX_SEQUENCE);
      else this.committedCallbacks.sentFromDatabase(head.session_sid, head.seq);
      this.inFlightByOrigin.set(origin, busy + 1);
      this.inFlight.set(head.session_sid, this.deliver(sequence, origin));
    }
    return this.nextFullPassAt;
  }

  /**
   * Cluster: every pass claims due heads from the whole outbox, leased to this process, each with the callbacks that
   * may follow it as one sequence (see OutboxClaims).
   */
  private async dispatchClaimed(claims: OutboxClaims, now: number): Promise<number> {
    // The claim reads the whole outbox each pass: the sessions to follow up are in it.
    this.followUp.clear();
    const pollAt = now + this.pollIntervalMs;
    if (this.inFlight.size >= MAX_IN_FLIGHT) return pollAt;
    const { due, nextDueAt } = await claims.claimDue([...this.inFlight.keys()], HEADS_PER_PASS, now);
    const notNow: CallbackRow[] = [];
    for (const sequence of bySession(due)) {
      const head = sequence[0]!;
      const { origin } = this.receivers.of(head.url);
      const busy = this.inFlightByOrigin.get(origin) ?? 0;
      if (this.stopped || this.inFlight.size >= MAX_IN_FLIGHT || busy >= MAX_IN_FLIGHT_PER_ORIGIN) {
        notNow.push(...sequence);
        continue;
      }
      this.inFlightByOrigin.set(origin, busy + 1);
      this.inFlight.set(head.session_sid, this.deliver(sequence.map(outgoing), origin));
    }
    if (notNow.length > 0) await claims.release(notNow);
    return nextDueAt === null ? pollAt : Math.min(nextDueAt, pollAt);
  }

  /**
   * Sends one session's callbacks in order (one, or a sequence taken from memory) and records what came of each as
   * it comes; the session stays claimed until the sequence is over and every outcome is recorded.
   */
  private async deliver(sequence: OutgoingCallback[], origin: string): Promise<void> {
    const sessionSid = sequence[0]!.session_sid;
    /** One write per callback answered, in order: how many there are says which callback the next answer is for. */
    const writes: Array<Promise<boolean>> = [];
    let retryPending = false;
    let attemptedAt = this.now();
    await this.attempt(sequence, (result) => {
      const callback = sequence[writes.length]!;
      const answeredAt = this.now();
      const record = this.outcome(callback, result, attemptedAt);
      // A callback that stays pending is read back when its retry falls due, and the session's later ones after it.
      retryPending = record.delivery_status === 'pending';
      if (retryPending) this.committedCallbacks.leaveToDatabase(sessionSid);
      writes.push(this.record(callback, record, answeredAt));
      // The next callback of a sequence leaves as this one is answered.
      attemptedAt = answeredAt;
    });
    // The receiver's connection is free again.
    this.inFlightByOrigin.set(origin, (this.inFlightByOrigin.get(origin) ?? 1) - 1);
    if (!retryPending) this.committedCallbacks.giveBack(sessionSid, sequence.slice(writes.length));
    const recorded = await Promise.all(writes);
    if (!recorded.every(Boolean)) {
      // Holding the claim for a poll interval keeps a failing store from turning into a burst of identical POSTs.
      this.committedCallbacks.leaveToDatabase(sessionSid);
      await sleep(this.pollIntervalMs);
    }
    const finished = this.committedCallbacks.settled(sessionSid);
    this.inFlight.delete(sessionSid);
    this.notifyChange();
    // The slot goes first to the session that has waited longest for one, then this one's next callback may take
    // the next: kicked the other way round, a busy session kept its slot callback after callback while a waiting one
    // waited for a full pass (measured: 200 calls typing, one receiver, key to callback p99 1.4 s at p50 26 ms).
    this.callNextWaiting();
    // A session whose last callback this was has no head left: reading its rows back would find none.
    if (!finished) this.kick(sessionSid);
  }

  /**
   * Writes one attempt's outcome; false when the store failed, and then the row stays as it was, so the callback
   * goes again with the same idempotency token.
   */
  private async record(callback: OutgoingCallback, record: AttemptRecord, answeredAt: number): Promise<boolean> {
    try {
      const row = { ...record, session_sid: callback.session_sid, seq: callback.seq, attempts_read: callback.attempts };
      await (this.claims ? recordInTurn(this.db, row) : writeInTurn(this.db, recordAttempt.compile(this.db, row)));
    } catch (err) {
      this.logger.warn({ sessionSid: callback.session_sid, seq: callback.seq, error: (err as Error).message }, 'callback attempt not recorded');
      return false;
    }
    this.logOutcome(callback, record);
    this.onAttempt({ kind: callback.kind, at: Number(callback.at), params: callback.params, attempts: record.attempts, deliveryStatus: record.delivery_status }, answeredAt);
    return true;
  }

  /** A slot came free: the oldest waiting session whose origin has room is looked at on the next pass. */
  private callNextWaiting(): void {
    for (const [sessionSid, origin] of this.waiting) {
      if ((this.inFlightByOrigin.get(origin) ?? 0) >= MAX_IN_FLIGHT_PER_ORIGIN) continue;
      this.waiting.delete(sessionSid);
      this.kick(sessionSid);
      return;
    }
  }

  /**
   * Sends the callbacks (one session's, all to one URL) in order and tells `answered` what came of each one attempted:
   * all, or those up to the first not delivered. A callback whose stored parameters cannot be read ends the sequence
   * before it, and is answered as unsendable when it is first.
   */
  private async attempt(sequence: OutgoingCallback[], answered: (result: DeliveryResult) => void): Promise<void> {
    const head = sequence[0]!;
    if (head.params === null) return answered({ kind: 'unsendable', error: 'invalid params' });
    // The policy may have changed since the callbacks were stored: where they go is judged now, once for their URL.
    const { refusal } = this.receivers.of(head.url);
    if (refusal !== null) return answered({ kind: 'unsendable', error: `refused by the callback policy: the URL ${refusal}` });
    let authToken: string;
    try {
      authToken = await this.authTokenFor(head.account_sid);
    } catch {
      return answered({ kind: 'no-response', error: 'signing key unavailable' });
    }
    const sendable: CallbackToSend[] = [];
    for (const { params, url, method, session_sid, seq } of sequence) {
      if (params === null) break;
      sendable.push({ url, params, method: method === 'GET' ? 'GET' : 'POST', signingKey: authToken, idempotencyToken: `${session_sid}-${seq}` });
    }
    return this.sender.sendInOrder(sendable, answered);
  }

  private outcome(callback: OutgoingCallback, result: DeliveryResult, attemptedAt: number): AttemptRecord {
    const attempts = callback.attempts + 1;
    const delivered = isDelivered(result);
    const retry = !delivered && shouldRetry(result, attempts, this.retry);
    return {
      attempts,
      delivery_status: delivered ? 'delivered' : retry ? 'pending' : 'failed',
      last_attempt_at: attemptedAt,
      last_response_code: result.kind === 'response' ? result.status : null,
      last_error: delivered ? null : result.kind === 'response' ? `HTTP ${result.status}` : result.error,
      next_attempt_at: retry ? nextAttemptAt(this.now(), attempts, Math.random, this.retry) : null,
    };
  }

  private logOutcome(callback: OutgoingCallback, record: AttemptRecord): void {
    // Deliveries are counted by the metrics; one line each is for debugging, and its fields cost more than its write.
    if (record.delivery_status === 'delivered' && this.logger.isLevelEnabled?.('debug') === false) return;
    const fields = {
      sessionSid: callback.session_sid,
      seq: callback.seq,
      url: urlWithoutSecrets(callback.url),
      attempts: record.attempts,
      status: record.last_response_code,
      error: record.last_error,
    };
    if (record.delivery_status === 'delivered') this.logger.debug(fields, 'callback delivered');
    else if (record.delivery_status === 'pending') this.logger.warn({ ...fields, nextAttemptAt: record.next_attempt_at }, 'callback will be retried');
    else this.logger.warn(fields, 'callback given up');
  }

  private scheduleWake(wakeAt: number): void {
    // Passes follow each other all the time under load, mostly with the same next full pass: its timer stays.
    if (this.stopped || (this.wakeTimer !== null && this.wakeAt === wakeAt)) return;
    this.clearWakeTimer();
    this.wakeAt = wakeAt;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.runPass();
    }, Math.max(0, wakeAt - this.now()));
    this.wakeTimer.unref();
  }

  private clearWakeTimer(): void {
    if (this.wakeTimer !== null) clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
  }

  private nextChange(): Promise<void> {
    return new Promise((resolve) => this.changeWaiters.push(resolve));
  }

  private notifyChange(): void {
    const waiters = this.changeWaiters;
    this.changeWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/**
 * The claim query: the head (lowest pending seq) of every session that is not already in flight, soonest due
 * first. The cluster's claim (src/store/outboxClaims.ts) adds `FOR UPDATE SKIP LOCKED` and a lease.
 *
 * Fairness: at most as many heads per callback URL as may be in flight to one origin, and per account as may be in
 * flight at all. Without that, a receiver that hangs while thousands of its callbacks wait would fill every pass
 * with heads that cannot go, and another account's callbacks, due later, would never be read.
 */
async function selectSessionHeads(db: Kysely<Database>, inFlightSessions: string[], limit: number): Promise<CallbackRow[]> {
  const heads = db
    .selectFrom('session_events as e')
    .select(({ fn }) => [
      ...HEAD_COLUMNS.map((column) => `e.${column}` as const),
      fn.agg<number>('row_number').over((over) => over.partitionBy('e.url').orderBy('e.next_attempt_at').orderBy('e.session_sid')).as('url_rank'),
      fn.agg<number>('row_number').over((over) => over.partitionBy('e.account_sid').orderBy('e.next_attempt_at').orderBy('e.session_sid')).as('account_rank'),
    ])
    .where('e.delivery_status', '=', 'pending')
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('session_events as earlier')
            .select('earlier.seq')
            .whereRef('earlier.session_sid', '=', 'e.session_sid')
            .whereRef('earlier.seq', '<', 'e.seq')
            .where('earlier.delivery_status', '=', 'pending'),
        ),
      ),
    )
    .$if(inFlightSessions.length > 0, (query) => query.where('e.session_sid', 'not in', inFlightSessions));
  return db
    .selectFrom(heads.as('h'))
    .select(HEAD_COLUMNS.map((column) => `h.${column}` as const))
    .where('h.url_rank', '<=', MAX_IN_FLIGHT_PER_ORIGIN)
    .where('h.account_rank', '<=', MAX_IN_FLIGHT)
    .orderBy('h.next_attempt_at')
    .orderBy('h.session_sid')
    .limit(limit)
    .execute();
}

/** The head (lowest pending seq) of each of these sessions, each found through the primary key. */
async function selectHeadsOf(db: Kysely<Database>, sessions: string[]): Promise<CallbackRow[]> {
  const heads: CallbackRow[] = [];
  // One session per query: given a list, SQLite (without statistics) reads every pending row through the due index.
  for (const sessionSid of sessions) {
    const { rows } = await selectPendingHead.execute(db, { sessionSid });
    if (rows[0] !== undefined) heads.push(rows[0]);
  }
  return heads;
}

const selectPendingHead = builtOnce((db, p: Param<{ sessionSid: string }>) =>
  db.selectFrom('session_events').select(HEAD_COLUMNS).where('session_sid', '=', p('sessionSid')).where('delivery_status', '=', 'pending').orderBy('seq').limit(1),
);

/**
 * Writes one attempt's outcome, only if the row is still the pending one the attempt was made from. The store
 * commits the outcomes written in one turn of the event loop together.
 */
const recordAttempt = builtOnce((db, p: Param<AttemptRow>) =>
  db
    .updateTable('session_events')
    .set({
      attempts: p('attempts'),
      delivery_status: p('delivery_status'),
      last_attempt_at: p('last_attempt_at'),
      last_response_code: p('last_response_code'),
      last_error: p('last_error'),
      next_attempt_at: p('next_attempt_at'),
      lease_owner: null,
      lease_until: null,
    })
    .where('session_sid', '=', p('session_sid'))
    .where('seq', '=', p('seq'))
    .where('delivery_status', '=', 'pending')
    .where('attempts', '=', p('attempts_read')),
);

/** Claimed rows (each session's together, in seq order) as one sequence per session. */
function bySession(rows: CallbackRow[]): CallbackRow[][] {
  const sequences: CallbackRow[][] = [];
  for (const row of rows) {
    const last = sequences.at(-1);
    if (last?.[0]!.session_sid === row.session_sid) last.push(row);
    else sequences.push([row]);
  }
  return sequences;
}

function outgoing(row: CallbackRow): OutgoingCallback {
  return { ...row, params: readParams(row.params) };
}

function readParams(json: string): Record<string, string> | null {
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
    const entries = Object.entries(parsed);
    return entries.every(([, value]) => typeof value === 'string') ? (Object.fromEntries(entries) as Record<string, string>) : null;
  } catch {
    return null;
  }
}
