/**
 * What the `<Pay>` flow needs from the rest of paytone, as ports, so the flow is tested over fakes and runs over the
 * real parts unchanged: a desk that opens pay sessions on the same capture engine and connectors as the Payments
 * API (src/app/ivrPayDesk.ts), and a sender for `statusCallback` progress. Prompts are spoken as every prompt is
 * (src/twiml/speech.ts), and problems go to the call's notifications (`VerbRun.notify`).
 *
 * @example
 *   const session = await services.desk.open(call, instruction.settings);
 *   const field = await session.capture('payment-card-number'); // { kind: 'accepted', masked: { PaymentCardNumber: 'xxxx-xxxx-xxxx-4242', ... } }
 */
import type { CallRecord } from '../../domain/callView.js';
import type { CaptureName, ErrorType, PaymentSettings } from '../../domain/types.js';
import type { NextRequest } from '../verb.js';

/** How a field asked for ended. `ended`: the session ended meanwhile (`*`, a hang-up), with its final parameters. */
export type FieldEnd =
  | { kind: 'accepted'; masked: Record<string, string> }
  | { kind: 'invalid'; errorType: ErrorType }
  | { kind: 'ended'; params: Record<string, string> };

/** One pay session opened for a `<Pay>`; its status callbacks go nowhere (the flow sends `<Pay>`'s own). */
export interface PayDeskSession {
  readonly sid: string;
  /** Asks the caller's keypad for a field; resolves when the field ends. `typing` is told of the field's first key. */
  capture(name: CaptureName, typing?: () => void): Promise<FieldEnd>;
  /** Sends the payment to the connector; resolves with the session's final parameters (`Result`, ...). */
  complete(): Promise<Record<string, string>>;
  /** Ends the session unpaid (too many failed attempts, or the call was sent to other TwiML). */
  cancel(): Promise<void>;
  /** Stops listening to the session. */
  close(): void;
}

export interface PayDesk {
  /** A new session on the call; throws a PaytoneError (64004 unknown connector, 64021 a session already open ...). */
  open(call: CallRecord, settings: PaymentSettings): Promise<PayDeskSession>;
}

/** Sends one `statusCallback` request, signed like every webhook; never throws (a failure is logged). */
export type PayProgressSender = (call: CallRecord, target: Pick<NextRequest, 'url' | 'method'>, params: Record<string, string>) => Promise<void>;

export interface PayServices {
  desk: PayDesk;
  progress: PayProgressSender;
}
