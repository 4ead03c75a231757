/**
 * `<Pay>`'s desk: opens pay sessions for the TwiML flow on the same engine as the Payments API (the same checks,
 * capture rules, timers, connectors, vault and event log), and tells the flow how each field ended by listening to
 * the session's live events, which carry exactly what its callbacks would: masked values and error types, never a
 * digit. Keys reach the session as they reach any session: the sandbox keypad and a real call's keys go to the
 * call's open session first.
 *
 * @example
 *   const desk = new IvrPayDesk({ payments, sessions, bus: liveEvents.bus });
 *   const session = await desk.open(call, settings);
 *   await session.capture('payment-card-number'); // { kind: 'accepted', masked: { PaymentCardNumber: 'xxxx-xxxx-xxxx-4242', PaymentCardType: 'visa' } }
 */
import { PaytoneError } from '../domain/errors.js';
import type { CallRecord } from '../domain/callView.js';
import type { LiveEvent } from '../domain/liveEvents.js';
import type { CaptureName, ErrorType, PaymentSettings } from '../domain/types.js';
import type { FieldEnd, PayDesk, PayDeskSession } from '../twiml/pay/payPorts.js';
import type { LiveEventBus } from './liveEvents.js';
import type { PaymentRequests } from './paymentRequests.js';
import type { PaymentSessions } from './paymentSessions.js';

/** The parameters of a field's end that are not its masked value. */
const NOT_VALUES = new Set(['AccountSid', 'CallSid', 'Sid', 'DateCreated', 'DateUpdated', 'PaymentMethod', 'PaymentConnector', 'ChargeAmount', 'TokenType', 'BankAccountType', 'Capture', 'PartialResult', 'Required']);

export class IvrPayDesk implements PayDesk {
  constructor(private readonly deps: { payments: PaymentRequests; sessions: PaymentSessions; bus: LiveEventBus }) {}

  async open(call: CallRecord, settings: PaymentSettings): Promise<PayDeskSession> {
    // Listening first: nothing the session says can be missed.
    const listener = new SessionListener();
    const stop = this.deps.bus.subscribe(call.accountSid, (events) => listener.heard(events));
    try {
      const session = await this.deps.payments.openForPay(call, settings);
      listener.sid = session.sid;
      return new DeskSession(session.sid, this.deps.sessions, listener, stop);
    } catch (err) {
      stop();
      throw err;
    }
  }
}

/** Waits for one thing the session says at a time: how a field ended (and its first key), or the session's end. */
class SessionListener {
  sid: string | null = null;
  final: Record<string, string> | null = null;
  private waiting: { capture: CaptureName | null; resolve: (end: FieldEnd) => void; typing?: () => void } | null = null;

  heard(events: LiveEvent[]): void {
    for (const event of events) {
      if (event.paymentSid === null || event.paymentSid !== this.sid) continue;
      if (event.kind === 'ended') {
        this.final = event.params;
        this.settle({ kind: 'ended', params: event.params });
      } else if (event.kind === 'capture' && event.params.PartialResult === 'true' && this.waiting !== null && this.waiting.capture === event.params.Capture) {
        const typing = this.waiting.typing;
        this.waiting.typing = undefined;
        typing?.();
      } else if (event.kind === 'capture' && event.params.PartialResult === 'false' && this.waiting?.capture === event.params.Capture) {
        const errorType = event.params.ErrorType as ErrorType | undefined;
        this.settle(errorType !== undefined ? { kind: 'invalid', errorType } : { kind: 'accepted', masked: maskedValues(event.params) });
      }
    }
  }

  wait(capture: CaptureName | null, typing?: () => void): Promise<FieldEnd> {
    if (this.final !== null) return Promise.resolve({ kind: 'ended', params: this.final });
    return new Promise((resolve) => (this.waiting = { capture, resolve, typing }));
  }

  private settle(end: FieldEnd): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.resolve(end);
  }
}

class DeskSession implements PayDeskSession {
  constructor(
    readonly sid: string,
    private readonly sessions: PaymentSessions,
    private readonly listener: SessionListener,
    readonly close: () => void,
  ) {}

  async capture(name: CaptureName, typing?: () => void): Promise<FieldEnd> {
    const end = this.listener.wait(name, typing);
    await this.tell({ kind: 'capture', name, callbackUrl: '', leadingHashIgnored: true });
    return end;
  }

  async complete(): Promise<Record<string, string>> {
    const end = this.listener.wait(null);
    await this.tell({ kind: 'complete', callbackUrl: '' });
    const ended = await end;
    if (ended.kind !== 'ended') return {};
    // A Generic connector's answer parameters are kept on the session, not in its callbacks (Twilio sends them to <Pay> only).
    const echoed = (await this.sessions.load(this.sid))?.outcome?.connectorParameters ?? {};
    return { ...ended.params, ...Object.fromEntries(Object.entries(echoed).map(([key, value]) => [`PayConnector_${key}`, value])) };
  }

  async cancel(): Promise<void> {
    await this.tell({ kind: 'cancel', callbackUrl: '' });
  }

  /** An input to the session; one refused because the session ended meanwhile (`*`, a hang-up) is no error: the end is heard. */
  private async tell(input: Parameters<PaymentSessions['apply']>[1]): Promise<void> {
    try {
      await this.sessions.apply(this.sid, input);
    } catch (err) {
      if (!(err instanceof PaytoneError && err.code === 64021)) throw err;
    }
  }
}

function maskedValues(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).filter(([name]) => !NOT_VALUES.has(name)));
}
