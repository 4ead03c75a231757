/**
 * Where the SIP engine and the Twilio-shaped side of paytone meet. The SIP side reports what happens to its legs
 * through `CallLifecycle`, hands each call it has set up to `CallRunner` (which runs the call's TwiML over the
 * call's `CallControl`, src/twiml/callControl.ts), and places the calls the API asks for through `OutboundDialer`.
 * The Twilio side implements the first two (src/app/callProgress.ts, src/twiml/callRunner.ts); the SIP side the
 * dialer and the controls.
 *
 * @example
 *   // the SIP side, on an INVITE for a registered number:
 *   const call = await lifecycle.inbound({ accountSid, to, from, phoneNumberSid, sipCallId, sipSourceIp });
 *   await runner.run(call, control);   // resolves when the call's TwiML is done
 */
import type { CallRecord, CallEvent, FinalCallStatus } from '../domain/callView.js';
import type { CallControl } from '../twiml/callControl.js';

/** A child call's own status callback, from the `<Number>` or `<Sip>` noun that dialed it. */
export interface ChildStatusCallback {
  url: string;
  method: 'GET' | 'POST';
  events: CallEvent[];
}

/** The call lifecycle the SIP side reports into: stores each move, queues its status callback, tells live listeners. */
export interface CallLifecycle {
  /** An INVITE for a registered number: a new call, `inbound`, `ringing`. */
  inbound(a: { accountSid: string; to: string; from: string; phoneNumberSid: string; sipCallId: string; sipSourceIp: string }): Promise<CallRecord>;
  /** A `<Dial>` leg: a new call, `outbound-dial`, `queued` (its `initiated` moment), child of `parentCallSid`. */
  child(a: { parentCallSid: string; to: string; from: string; sipCallId?: string | null; statusCallback?: ChildStatusCallback | null }): Promise<CallRecord>;
  /** The far end rings (180/183). */
  ringing(callSid: string): Promise<void>;
  /** The call is answered (200 OK sent or received). */
  answered(callSid: string): Promise<void>;
  /** The call ended; an answered call always ends `completed`. Ends the call's open pay session as `caller-hung-up`. */
  ended(callSid: string, status: FinalCallStatus): Promise<void>;
}

/**
 * Runs a call's TwiML: an inbound call's number's VoiceUrl, an answered outbound-api call's Url or Twiml. The SIP
 * side calls it once an inbound call is ringing or an outbound call is answered; it resolves when the document is
 * done, and the SIP side then hangs the call up if it is still up.
 */
export interface CallRunner {
  run(call: CallRecord, control: CallControl): Promise<void>;
}

/** Places the real outbound calls `POST /Calls.json` asks for, and hangs up the real calls this process holds. */
export interface OutboundDialer {
  /** True when plain numbers can be dialed (a SIP trunk is set); `sip:` URIs can always be. */
  readonly dialsNumbers: boolean;
  /** Starts ringing the call (status `queued`); progress comes back through `CallLifecycle`, then `CallRunner.run`. */
  place(call: CallRecord, options: { timeoutSeconds: number }): void;
  /**
   * Hangs up (answered) or cancels (not yet answered) a call whose legs this process holds; false when it holds
   * none (a sandbox call, or one another process holds). The end is reported through `CallLifecycle.ended`.
   */
  hangUp(callSid: string): Promise<boolean>;
}
