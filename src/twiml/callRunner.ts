/**
 * Runs a call's TwiML once the SIP side has set the call up: the `CallRunner` port. An inbound call runs its
 * number's VoiceUrl (by VoiceMethod, with VoiceFallbackUrl); an answered outbound-api call its `Twiml`, or its `Url`
 * (by `Method`, with `FallbackUrl`). It never rejects: whatever goes wrong is a notification on the call, and the
 * call is hung up.
 *
 * @example
 *   const runner = new TwimlCallRunner(interpreter, notify, log);
 *   await runner.run(call, control); // resolves when the call's TwiML is done
 */
import type { CallRecord } from '../domain/callView.js';
import type { CallRunner } from '../telephony/callPorts.js';
import type { Logger } from '../log.js';
import type { CallControl } from './callControl.js';
import { CallRedirects, type InterpreterDeps, type TwimlInterpreter, type TwimlSource } from './interpreter.js';

export class TwimlCallRunner implements CallRunner {
  /** The calls whose TwiML runs in this process, by sid. */
  private readonly running = new Map<string, CallRedirects>();

  constructor(
    private readonly interpreter: TwimlInterpreter,
    private readonly notify: InterpreterDeps['notify'],
    private readonly log: Logger,
  ) {}

  /**
   * Sends a call whose TwiML runs in this process to other TwiML (the API's `Url` or `Twiml` on a call in progress):
   * the verb running stops and the new TwiML runs. False when the call's TwiML does not run here (a sandbox call,
   * or a call another process holds).
   *
   * @example
   *   runner.redirect(callSid, { kind: 'twiml', text: '<Response><Hangup/></Response>' }) // true
   */
  redirect(callSid: string, source: TwimlSource): boolean {
    const redirects = this.running.get(callSid);
    redirects?.redirect(source);
    return redirects !== undefined;
  }

  /** Whether the call's TwiML runs in this process now. */
  runs(callSid: string): boolean {
    return this.running.has(callSid);
  }

  async run(call: CallRecord, control: CallControl): Promise<void> {
    try {
      const first = firstDocument(call);
      if (first === null) {
        const what = call.direction === 'inbound' ? `its number ${call.phoneNumberSid} has no VoiceUrl` : 'it has neither Url nor Twiml';
        await this.notify(call, { code: 11200, message: `Call ${call.sid} had no TwiML to run: ${what}. paytone ended it.` }, null);
        await (call.status === 'in-progress' ? control.hangUp() : control.reject('rejected'));
        return;
      }
      const redirects = new CallRedirects();
      this.running.set(call.sid, redirects);
      try {
        await this.interpreter.run(call, control, first, redirects);
      } finally {
        this.running.delete(call.sid);
      }
    } catch (err) {
      this.log.error({ err: { message: (err as Error).message, stack: (err as Error).stack }, callSid: call.sid }, 'running the call\'s TwiML failed; hanging up');
      await control.hangUp().catch(() => undefined);
    }
  }
}

function firstDocument(call: CallRecord): TwimlSource | null {
  if (call.direction !== 'inbound' && call.twiml !== null) return { kind: 'twiml', text: call.twiml };
  if (call.url === null) return null;
  const fallback = call.fallbackUrl === null ? null : { url: call.fallbackUrl, method: call.fallbackMethod };
  return { kind: 'request', url: call.url, method: call.method, fallback, params: {}, evenIfHungUp: false };
}
