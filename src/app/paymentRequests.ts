/**
 * The Payments resource as the API sees it: create (201) and update (202) with Twilio's idempotency,
 * the read extensions, and the caller's keypad and hang-up reaching the call's open session.
 *
 * Idempotency (DESIGN.md): an identical request (same account, path, IdempotencyKey and parameters) replays the
 * stored response while the operation it started is still current; the same key with other parameters is a new
 * request. The check and the change happen under the same lock, so two identical requests racing each other
 * still make one change.
 */
import { createHash } from 'node:crypto';
import { payError } from '../domain/errors.js';
import type { FormValues } from '../domain/form.js';
import { parseCreatePayment, parseUpdatePayment } from '../domain/paymentParams.js';
import { capabilityRefusal } from '../domain/connectorSettings.js';
import { isOperationCurrent } from '../domain/session.js';
import { sessionView } from '../domain/sessionView.js';
import { formatRfc2822 } from '../domain/dates.js';
import { newSid } from '../domain/sids.js';
import type { PaymentSettings, Session } from '../domain/types.js';
import type { CallRecord } from '../domain/callView.js';
import type { CallStore } from '../store/calls.js';
import type { AlongWith, SessionStore, StoredEvent } from '../store/sessions.js';
import type { PaymentSessions, RequestKey } from './paymentSessions.js';
import { ANY_CALLBACK, type CallbackPolicy } from '../domain/callbackPolicy.js';

export interface ApiResponse {
  status: number;
  body: string;
}

/** Twilio's six fields, in the order Twilio writes them. */
export function paymentResource(session: Session): Record<string, string> {
  return {
    account_sid: session.accountSid,
    call_sid: session.callSid,
    date_created: formatRfc2822(session.dateCreated),
    date_updated: formatRfc2822(session.dateUpdated),
    sid: session.sid,
    uri: `/2010-04-01/Accounts/${session.accountSid}/Calls/${session.callSid}/Payments/${session.sid}.json`,
  };
}

const resourceBody = (session: Session): string => JSON.stringify(paymentResource(session));

/** sha256 over the request's parameters, independent of their order on the wire. */
export function fingerprintOf(form: FormValues): string {
  const entries = Object.entries(form)
    .map(([k, v]) => [k, Array.isArray(v) ? v : [v]] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex');
}

export class PaymentRequests {
  constructor(
    private readonly sessions: PaymentSessions,
    private readonly store: SessionStore,
    private readonly calls: CallStore,
    private readonly callbackPolicy: CallbackPolicy = ANY_CALLBACK,
  ) {}

  private async call(accountSid: string, callSid: string): Promise<CallRecord> {
    const call = await this.calls.get(accountSid, callSid);
    if (!call) throw payError(20404, `Call ${callSid} was not found in account ${accountSid}.`);
    return call;
  }

  private async replay(accountSid: string, key: RequestKey, current: (s: Session, operation: number) => boolean): Promise<ApiResponse | null> {
    const record = await this.store.findIdempotency(accountSid, key.scope, key.key, key.fingerprint);
    if (!record) return null;
    const session = await this.sessions.load(record.sessionSid);
    if (!session || !current(session, record.operation)) return null;
    return { status: record.statusCode, body: record.body };
  }

  async create(accountSid: string, callSid: string, form: FormValues, scope: string): Promise<ApiResponse> {
    const call = await this.call(accountSid, callSid);
    const parsed = parseCreatePayment(form, { callUrl: call.url, callbackPolicy: this.callbackPolicy });
    const key: RequestKey = { scope, key: parsed.idempotencyKey, fingerprint: fingerprintOf(form), kind: 'create', statusCode: 201 };
    return this.sessions.serialize(callSid, async () => {
      const replayed = await this.replay(accountSid, key, (s, operation) => isOperationCurrent(s, { kind: 'create', operation }));
      if (replayed) return replayed;
      const session = await this.openOnCall(accountSid, callSid, parsed.settings, parsed.callbackUrl, key);
      return { status: 201, body: resourceBody(session) };
    });
  }

  /**
   * A session for `<Pay>` on the call: the same checks and rules as a create, no idempotency (the call's TwiML asks
   * once), and no callback URL (`<Pay>` sends its own progress; the session's events are logged and streamed).
   */
  openForPay(call: CallRecord, settings: PaymentSettings): Promise<Session> {
    return this.sessions.serialize(call.sid, () => this.openOnCall(call.accountSid, call.sid, settings, '', null));
  }

  /** Opens a session on a call in progress that has none open; the caller holds the call's lock. */
  private async openOnCall(accountSid: string, callSid: string, settings: PaymentSettings, callbackUrl: string, key: RequestKey | null): Promise<Session> {
    const fresh = await this.call(accountSid, callSid);
    if (fresh.status !== 'in-progress') {
      throw payError(21220, `Call ${callSid} is ${fresh.status}, not in-progress: a pay session can only start on a call in progress.`);
    }
    const open = await this.sessions.unfinishedSessionOf(callSid);
    if (open) {
      throw payError(64021, `Call ${callSid} already has an active payment session (${open}). Complete or cancel it before starting another.`);
    }
    const connector = await this.sessions.connectorFor(accountSid, settings.paymentConnector);
    const refused = capabilityRefusal(connector.name, connector.capabilities, settings);
    if (refused) throw refused;
    return this.sessions.open({ sid: newSid('PK'), accountSid, callSid, settings, callbackUrl }, key, key === null ? null : resourceBody);
  }

  async update(accountSid: string, callSid: string, sid: string, form: FormValues, scope: string): Promise<ApiResponse> {
    const call = await this.call(accountSid, callSid);
    const parsed = parseUpdatePayment(form, { callUrl: call.url, callbackPolicy: this.callbackPolicy });
    const kind = parsed.input.kind === 'capture' ? 'capture' : 'status';
    const key: RequestKey = { scope, key: parsed.idempotencyKey, fingerprint: fingerprintOf(form), kind, statusCode: 202 };
    return this.sessions.serializeLoaded(sid, async (session) => {
      if (!session || session.accountSid !== accountSid || session.callSid !== callSid) {
        throw payError(20404, `Payment session ${sid} was not found on call ${callSid}.`);
      }
      const replayed = await this.replay(accountSid, key, (s, operation) => s.sid === sid && isOperationCurrent(s, { kind, operation }));
      if (replayed) return replayed;
      const next = await this.sessions.applyLoaded(session, { ...parsed.input, callbackUrl: parsed.callbackUrl }, { key, body: resourceBody });
      return { status: 202, body: resourceBody(next) };
    });
  }

  private async owned(accountSid: string, callSid: string, sid: string): Promise<Session> {
    const session = await this.sessions.load(sid);
    if (!session || session.accountSid !== accountSid || session.callSid !== callSid) {
      throw payError(20404, `Payment session ${sid} was not found on call ${callSid}.`);
    }
    return session;
  }

  /**
   * A session of the account found by its sid alone (the MCP tools name sessions so); 20404 for another account's.
   * The caller may show it only through `sessionView` and the callbacks' masks.
   */
  async ofAccount(accountSid: string, sid: string): Promise<Session> {
    const session = await this.sessions.load(sid);
    if (!session || session.accountSid !== accountSid) throw payError(20404, `Payment session ${sid} was not found in account ${accountSid}.`);
    return session;
  }

  /** The sid of the call's session that has not ended, or null. */
  openSessionOf(callSid: string): Promise<string | null> {
    return this.sessions.unfinishedSessionOf(callSid);
  }

  /** Our extension: the session with its masked values; never a digit beyond what callbacks show. */
  async fetch(accountSid: string, callSid: string, sid: string): Promise<Record<string, unknown>> {
    const session = await this.owned(accountSid, callSid, sid);
    return { ...paymentResource(session), ...sessionView(session) };
  }

  async list(accountSid: string, callSid: string): Promise<Record<string, unknown>[]> {
    await this.call(accountSid, callSid);
    const sids = await this.store.sidsOfCall(accountSid, callSid);
    const views: Record<string, unknown>[] = [];
    for (const sid of sids) {
      const session = await this.sessions.load(sid);
      if (session) views.push({ ...paymentResource(session), ...sessionView(session) });
    }
    return views;
  }

  async events(accountSid: string, callSid: string, sid: string): Promise<StoredEvent[]> {
    await this.owned(accountSid, callSid, sid);
    return this.store.events(sid);
  }

  /**
   * Keypresses on the call reach its open session, in one change; true when one was open to take them (with none
   * open, the sandbox drops them and a real call offers them to its IVR).
   */
  async keypress(callSid: string, keys: string, pressedAt: readonly number[], alongWith?: AlongWith): Promise<boolean> {
    const sid = await this.sessions.unfinishedSessionOf(callSid);
    if (sid) await this.sessions.apply(sid, { kind: 'keys', keys, pressedAt }, undefined, alongWith);
    return sid !== null;
  }

  /** Whether a key heard on the call now may be a pay session's (a cluster cannot tell at once: then yes). */
  payMayBeOpen(callSid: string): boolean {
    return this.sessions.mayHaveOpenSession(callSid);
  }

  /** Under the call's lock, so a session being created as the caller hangs up is ended too. */
  async hangup(callSid: string): Promise<void> {
    await this.sessions.serialize(callSid, async () => {
      const sid = await this.sessions.unfinishedSessionOf(callSid);
      if (sid) await this.sessions.apply(sid, { kind: 'hangup' });
    });
  }
}
