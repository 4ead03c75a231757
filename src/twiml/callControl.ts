/**
 * What a TwiML verb may do to the call its document runs on. The SIP side implements it over the call's legs
 * (answer with 200 OK, reject with 486/603, hang up with BYE or a final response, dial and bridge a second leg);
 * the interpreter and its verbs only ever see this port, so every verb is tested with a fake.
 *
 * @example
 *   await control.answer();
 *   const outcome = await control.dial([{ kind: 'sip', uri: 'sip:agent@10.0.0.5' }], { timeoutSeconds: 30, callerId: null });
 */
import type { ChildStatusCallback } from '../telephony/callPorts.js';
import type { CallVoice } from './speech.js';

/** A `<Dial>` noun: a SIP URI, or a number dialed through the trunk (`PAYTONE_SIP_TRUNK`). */
export type DialTarget = ({ kind: 'sip'; uri: string } | { kind: 'number'; number: string }) & {
  /** The child call's own status callback (the noun's statusCallback attributes), or null. */
  statusCallback?: ChildStatusCallback | null;
};

export interface DialOptions {
  /** Seconds to ring before giving up (`no-answer`). */
  timeoutSeconds: number;
  /** The From of the child call; null: the parent call's From. */
  callerId: string | null;
  /** Leave the parent unanswered until the child answers (Twilio's answerOnBridge). */
  answerOnBridge?: boolean;
  /** The longest the bridge may last, in seconds (Twilio's timeLimit, 4 hours by default). */
  timeLimitSeconds?: number;
  /**
   * Fires when the dial must end early (the API redirected the call to other TwiML, or the caller hung up): the
   * legs are hung up (or cancelled) and `dial` resolves with how far they got.
   */
  signal?: AbortSignal;
}

/** How a `<Dial>` ended, as `DialCallStatus`, `DialCallSid` and `DialCallDuration` report it. */
export interface DialOutcome {
  status: 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled';
  /** The child call that answered (or the last one tried); null when none was placed. */
  childCallSid: string | null;
  /** Seconds the bridged child call lasted; 0 when it was not answered. */
  durationSeconds: number;
}

export interface CallControl {
  readonly callSid: string;
  /** Inbound: 200 OK with SDP; nothing once answered. */
  answer(): Promise<void>;
  /** An inbound call not yet answered: 486 Busy Here (`busy`) or 603 Decline (`rejected`). */
  reject(reason: 'busy' | 'rejected'): Promise<void>;
  /** BYE, or a final response / CANCEL when not answered; nothing once the call has ended. */
  hangUp(): Promise<void>;
  /** Rings the targets (all at once; the first to answer wins), bridges, and resolves when the bridge ends. */
  dial(targets: DialTarget[], options: DialOptions): Promise<DialOutcome>;
  /** Fires when the far end hangs up (or the call ends any other way). */
  readonly hungUp: AbortSignal;
  /** How the call says `<Say>` and plays `<Play>` (src/twiml/speech.ts). */
  readonly voice: CallVoice;
  /** A sandbox call is not hung up when its TwiML ends: an agent may still take a payment on it. */
  readonly staysUp?: boolean;
}
