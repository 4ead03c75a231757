/**
 * Runs pay sessions: the one place where the pure session rules meet storage, timers, connectors and the
 * callback outbox. Every change to a session is serialized per session, decided by the domain, committed in
 * one transaction with its events, and only then acted on (timer armed, outbox woken, connector called).
 *
 * @example
 *   const sessions = new PaymentSessions({ store, outbox, connectors, rules, log });
 *   await sessions.resume();                      // after a restart: timers and gateway calls pick up
 *   await sessions.keypress(callSid, '4');
 */
import { decide, isFinal, nextDeadline, openSession } from '../domain/session.js';
import { gatewayRequestFor } from '../domain/gatewayRequest.js';
import type { Effects, GatewayOutcome, GatewayRequest, PaymentSettings, Session, SessionInput, SessionRules, SessionStatus } from '../domain/types.js';
import { payError } from '../domain/errors.js';
import type { AlongWith, IdempotencyRecord, SessionStore } from '../store/sessions.js';
import type { LockedRead } from '../store/cluster.js';
import type { Connector } from '../connectors/connector.js';
import { GatewayCallStopped } from '../connectors/gatewayRetry.js';
import type { Logger } from '../log.js';
import type { LiveEvent } from '../domain/liveEvents.js';
import { KeyedLock } from './keyedLock.js';
import type { CallbackOutbox } from '../callbacks/outbox.js';

/** Finds an account's connector by unique name; read from the database each time (another process may have changed it). */
export interface ConnectorDirectory {
  find(accountSid: string, uniqueName: string): Promise<Connector | null>;
}

export interface SessionsDeps {
  store: SessionStore;
  outbox: Pick<CallbackOutbox, 'committed'>;
  connectors: ConnectorDirectory;
  rules: SessionRules;
  log: Logger;
  now?: () => number;
  /** Live listeners (the event stream); told after each commit, with the events' live twins. */
  onEvents?: (events: LiveEvent[]) => void;
  /** Told how each gateway call went and how long it took (metrics). */
  onGatewayCall?: (connectorType: string, outcome: 'approved' | 'declined' | 'error', seconds: number) => void;
  /** Present when other processes share the store: see `SessionCoordination`. */
  coordination?: SessionCoordination;
  /** The caller's keys still on their way to sessions (the sandbox keypad's queue): a deadline waits for them. */
  waitingKeys?: WaitingKeys;
}

/** Keys a caller pressed that have not reached the call's session yet. */
export interface WaitingKeys {
  /** Whether the call has a key pressed at or before `at` (epoch ms) still on its way to its session. */
  pressedBy(callSid: string, at: number): Promise<boolean>;
}

/** How soon a deadline that waited for a key on its way is looked at again, should that key never arrive. */
const DEADLINE_RECHECK_MS = 250;

/**
 * How sessions are shared with the other processes of a cluster. Every change to a session then runs under a
 * lock all processes respect, and starts from the stored session: nothing read before the lock (or kept in
 * memory) is trusted, since another process may have changed it.
 */
export interface SessionCoordination {
  /** Runs `task` while no process of the cluster (this one included) runs another task for `key`. */
  serialize<T>(key: string, task: () => Promise<T>): Promise<T>;
  /** As `serialize`, with `read` made once the lock is held, in the round trip that takes it. */
  serializeReading<R, T>(key: string, read: LockedRead<R>, task: (read: R) => Promise<T>): Promise<T>;
}

/** The request that caused a change, for idempotent replay. */
export interface RequestKey {
  scope: string;
  key: string;
  fingerprint: string;
  kind: 'create' | 'capture' | 'status';
  statusCode: number;
}

export class PaymentSessions {
  private readonly cache = new Map<string, Session>();
  /** The open session of each call with one, so a keypress finds its session without a query. */
  private readonly openByCall = new Map<string, string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly locks = new KeyedLock();
  /** Gateway calls in flight, by session sid, until their answer is applied. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly now: () => number;
  private stopped = false;

  constructor(private readonly deps: SessionsDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Serializes work on one call (session creation) or one session (everything else), across the cluster if any. */
  serialize<T>(key: string, task: () => Promise<T>): Promise<T> {
    return this.locks.run(key, () => (this.deps.coordination ? this.deps.coordination.serialize(key, task) : task()));
  }

  /**
   * Serializes work on a session (as `serialize`) and hands it the session as stored, or null. In a cluster the
   * session is read in the round trip that takes its lock: one wait fewer per change.
   */
  serializeLoaded<T>(sid: string, task: (session: Session | null) => Promise<T>): Promise<T> {
    const coordination = this.deps.coordination;
    return this.locks.run(sid, async () => (coordination ? coordination.serializeReading(sid, this.deps.store.lockedRead(sid), task) : task(await this.load(sid))));
  }

  /** The session as stored; from memory when this process is the only one writing sessions. */
  async load(sid: string): Promise<Session | null> {
    return this.cache.get(sid) ?? (await this.deps.store.get(sid));
  }

  async connectorFor(accountSid: string, name: string): Promise<Connector> {
    const connector = await this.deps.connectors.find(accountSid, name);
    if (!connector) {
      throw payError(64004, `PaymentConnector "${name}" is not configured for this account. Use "Default" (the sandbox gateway) or the unique name of a connector you created.`);
    }
    if (connector.unusable !== undefined) throw payError(64004, connector.unusable);
    return connector;
  }

  /** Starts a session; the caller holds the call's lock and has checked the call and the connector. */
  async open(a: { sid: string; accountSid: string; callSid: string; settings: PaymentSettings; callbackUrl: string }, request: RequestKey | null, body: ((s: Session) => string) | null): Promise<Session> {
    const { session, effects } = openSession({ ...a, now: this.now() });
    await this.commit(session, effects, request, body, null);
    return session;
  }

  /**
   * Applies an input to a session under its lock. Agent inputs may be refused (PaytoneError thrown);
   * caller and timer inputs never are.
   */
  apply(sid: string, input: SessionInput, request?: { key: RequestKey; body: (s: Session) => string }, alongWith?: AlongWith): Promise<Session> {
    return this.serializeLoaded(sid, async (session) => {
      if (!session) throw payError(20404, `Payment session ${sid} was not found.`);
      return this.applyLoaded(session, input, request, alongWith);
    });
  }

  /**
   * As `apply`, for a caller that already holds the session's lock and has loaded it. `alongWith` commits with the
   * change; an input that changes nothing commits nothing, so it does not run then.
   */
  async applyLoaded(session: Session, input: SessionInput, request?: { key: RequestKey; body: (s: Session) => string }, alongWith?: AlongWith): Promise<Session> {
    const decision = decide(session, input, this.now(), this.deps.rules);
    if (!decision.ok) throw decision.error;
    const { session: next, effects } = decision.value;
    // An input that did not apply (a key with no field requested, a stale timer) leaves nothing to write. A request
    // that did apply counts an operation, even in the millisecond of the change before it (`<Pay>` asks a field as
    // the one before ends).
    const unchanged = next.dateUpdated === session.dateUpdated && next.status === session.status && next.operation === session.operation && effects.events.length === 0;
    if (unchanged && !effects.gateway && !request) {
      this.arm(session);
      return session;
    }
    await this.commit(next, effects, request?.key ?? null, request?.body ?? null, session.status, alongWith);
    // PCI: the input's kind only; a keypress's digit never reaches a log line.
    this.deps.log.debug(
      { paymentSid: next.sid, input: input.kind, status: next.status, capture: next.capture?.name ?? null, events: effects.events.length },
      'session input applied',
    );
    if (effects.gateway) this.runGateway(next, effects.gateway);
    return next;
  }

  private async commit(session: Session, { events, asked }: Effects, key: RequestKey | null, body: ((s: Session) => string) | null, storedStatus: SessionStatus | null, alongWith?: AlongWith): Promise<void> {
    const record: IdempotencyRecord | null =
      key && body
        ? {
            accountSid: session.accountSid,
            scope: key.scope,
            key: key.key,
            fingerprint: key.fingerprint,
            sessionSid: session.sid,
            operation: session.operation,
            statusCode: key.statusCode,
            body: body(session),
          }
        : null;
    const live = await this.deps.store.commit(session, events, record, storedStatus, alongWith, asked);
    this.remember(session);
    this.arm(session);
    // A session emits its last callback as it ends (the domain's `ended` event). A `<Pay>` session has no callback
    // URL: its events are only logged and streamed, and `<Pay>` sends its own progress.
    if (events.length > 0 && session.callbackUrl !== '') this.deps.outbox.committed(session.sid, session.accountSid, events, isFinal(session));
    if (live.length > 0) this.deps.onEvents?.(live);
  }

  private remember(session: Session): void {
    // Another process may change a shared session at any time: only the store knows it.
    if (this.deps.coordination) return;
    if (isFinal(session)) {
      this.cache.delete(session.sid);
      if (this.openByCall.get(session.callSid) === session.sid) this.openByCall.delete(session.callSid);
    } else {
      this.cache.set(session.sid, session);
      this.openByCall.set(session.callSid, session.sid);
    }
  }

  /**
   * The call's session that has not ended, if any. From memory when this process is the only one writing sessions:
   * every commit and every resumed session passes through `remember`, so what it holds is the whole truth.
   */
  /**
   * Whether the call may have a session that has not ended, answered at once (the masker decides within a frame):
   * false only when this process alone writes sessions and holds none open on the call.
   */
  mayHaveOpenSession(callSid: string): boolean {
    return this.deps.coordination !== undefined || this.openByCall.has(callSid);
  }

  async unfinishedSessionOf(callSid: string): Promise<string | null> {
    if (this.deps.coordination) return this.deps.store.unfinishedSidOfCall(callSid);
    return this.openByCall.get(callSid) ?? null;
  }

  /** One timer per session, at the domain's next deadline (or at `at`, to look at a deadline again). */
  private arm(session: Session, at = nextDeadline(session)): void {
    const existing = this.timers.get(session.sid);
    if (existing) clearTimeout(existing);
    this.timers.delete(session.sid);
    if (at === null || this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(session.sid);
      this.timerFired(session).catch((err: unknown) => this.deps.log.error({ err, paymentSid: session.sid }, 'session deadline failed'));
    }, Math.max(0, at - this.now()));
    this.timers.set(session.sid, timer);
  }

  /**
   * A timer this process armed fired. First a look without the session's lock (which in a cluster costs a connection
   * and a transaction): keys pressed before the deadline it was armed for, still on their way, move it on when they
   * arrive, so there is nothing to do yet. That is what a server far behind its callers finds on every timer.
   */
  private async timerFired(session: Session): Promise<void> {
    const deadline = nextDeadline(session);
    if (this.deps.coordination && deadline !== null && (await this.deps.waitingKeys?.pressedBy(session.callSid, deadline))) return;
    await this.passDeadline(session.sid);
  }

  /**
   * The session's deadline is due (its timer fired, or the cluster's sweep found it). A key the caller pressed
   * before the deadline counts however far behind the server is: while such a key is still on its way, the deadline
   * waits for it (the key moves it on). Should the key never arrive, the deadline is looked at again: by the
   * cluster's sweep, which passes over deadlines with such keys queued, or by this process's timer.
   */
  passDeadline(sid: string): Promise<void> {
    return this.serializeLoaded(sid, async (session) => {
      if (!session) return;
      const deadline = nextDeadline(session);
      if (deadline !== null && deadline <= this.now() && (await this.deps.waitingKeys?.pressedBy(session.callSid, deadline))) {
        if (!this.deps.coordination) this.arm(session, this.now() + DEADLINE_RECHECK_MS);
        return;
      }
      await this.applyLoaded(session, { kind: 'deadline' });
    });
  }

  /**
   * Asks the connector once per session and feeds its answer back to the session. The connector owns
   * retries (same transaction id every time) and never throws for a decline. A graceful shutdown waits for the
   * answer (`settle`); if the process stops before it, the session stays `completing` and `resume()` asks again
   * with the same transaction id.
   */
  private runGateway(session: Session, request: GatewayRequest): void {
    if (this.inFlight.has(session.sid)) return;
    const answered = (async () => {
      const outcome = await this.askConnector(session, request);
      await this.apply(session.sid, { kind: 'gateway-answer', outcome });
    })()
      .catch((err: unknown) => {
        if (err instanceof GatewayCallStopped) this.deps.log.info({ paymentSid: session.sid }, 'gateway call stopped by shutdown; the next start resumes it');
        else this.deps.log.error({ err, paymentSid: session.sid }, 'gateway answer could not be applied');
      })
      .finally(() => this.inFlight.delete(session.sid));
    this.inFlight.set(session.sid, answered);
  }

  private async askConnector(session: Session, request: GatewayRequest): Promise<GatewayOutcome> {
    const connector = await this.deps.connectors.find(session.accountSid, request.connector);
    if (!connector) {
      return { ok: false, payErrorCode: 64004, paymentError: `Payment connector ${request.connector} is no longer configured.`, connectorError: 'connector_missing' };
    }
    const started = this.now();
    const seconds = () => (this.now() - started) / 1000;
    try {
      const outcome = await connector.execute(request);
      this.deps.log.info({ paymentSid: session.sid, connector: connector.name, type: connector.type, ok: outcome.ok, ms: this.now() - started }, 'gateway answered');
      this.deps.onGatewayCall?.(connector.type, outcome.ok ? 'approved' : 'declined', seconds());
      return outcome;
    } catch (err) {
      this.deps.onGatewayCall?.(connector.type, 'error', seconds());
      throw err;
    }
  }

  /**
   * Cluster: takes over the gateway call of a completing session whose caller was `owner` (a process that is gone,
   * or this one when its call stopped). Under the session's lock, and only if the caller is still `owner`, so two
   * processes never both take it over.
   */
  adopt(sid: string, owner: string | null): Promise<void> {
    return this.serialize(sid, async () => {
      if (this.inFlight.has(sid) || this.stopped) return;
      const session = await this.deps.store.get(sid);
      if (session?.status !== 'completing' || !(await this.deps.store.takeOverGateway(sid, owner))) return;
      this.deps.log.info({ paymentSid: sid }, 'taking over a gateway call left unfinished');
      this.runGateway(session, gatewayRequestFor(session));
    });
  }

  /** After a restart: re-arm every timer and resume every completion that was in flight. */
  async resume(): Promise<number> {
    const sids = await this.deps.store.unfinishedSids();
    for (const sid of sids) {
      const session = await this.deps.store.get(sid);
      if (!session || isFinal(session)) continue;
      this.remember(session);
      this.arm(session);
      if (session.status === 'completing') this.runGateway(session, gatewayRequestFor(session));
    }
    return sids.length;
  }

  /** Disarms every timer (their deadlines are stored: the next start re-arms them) and stops gateway retries. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** Resolves once every gateway call in flight has been answered and its answer committed (or left for resume). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }
}
