/**
 * A sandbox call's TwiML: a call placed with `Url` or `Twiml` to a plain number (no SIP anywhere) runs it as a real
 * call would, over a `CallControl` with no legs. What it says reaches the console and the sandbox phone through the
 * live feed, taking as long as it would take to say; the sandbox keypad's keys that no pay session takes go to the
 * verb reading the keypad (`<Gather>`). `<Hangup>` (or `<Reject>`) ends the call. Unlike a real call, a sandbox call
 * stays up when its TwiML ends or cannot be fetched, so an agent can still take a payment on it, as always; the
 * API's `Status=completed` ends it. It dials no one: a `<Dial>` ends `failed`.
 *
 * In a cluster the TwiML runs in the process that placed the call, and its keys reach pay sessions wherever they are
 * played (`<Pay>` hears the session through the shared live feed). A hang-up another process made reaches the run
 * through the live feed's `call-status` (`watchEnd`); keys no pay session takes (a `<Gather>`'s) stay with the
 * process that played them, and the TwiML ends with the process that runs it (docs/ivr-payments.md).
 *
 * @example
 *   const twiml = new SandboxTwiml({ runner, voice, keys, log });
 *   twiml.start(call, (status) => telephony.hangUp(call, status));
 */
import type { CallRecord } from '../domain/callView.js';
import type { Logger } from '../log.js';
import type { CallControl } from '../twiml/callControl.js';
import type { CallVoice } from '../twiml/speech.js';
import type { CallerKeys } from './callerKeys.js';
import type { CallRunner } from './callPorts.js';

export class SandboxTwiml {
  /** The sandbox calls whose TwiML runs, each with the signal its end fires and what stops watching for that end. */
  private readonly running = new Map<string, { ended: AbortController; unwatch: () => void }>();

  constructor(
    private readonly deps: {
      runner: CallRunner;
      voice: CallVoice;
      keys: CallerKeys;
      log: Logger;
      /** Tells of the call's end wherever it is ended (another process of a cluster, too); returns what stops it. */
      watchEnd?: (call: CallRecord, ended: () => void) => () => void;
    },
  ) {}

  /** Starts the call's TwiML, if it has any; `hangUp` ends the call. */
  start(call: CallRecord, hangUp: (status: 'completed') => Promise<unknown>): void {
    if (call.url === null && call.twiml === null) return;
    const ended = new AbortController();
    const unwatch = this.deps.watchEnd?.(call, () => this.ended(call.sid)) ?? (() => undefined);
    const control: CallControl = {
      callSid: call.sid,
      hungUp: ended.signal,
      voice: this.deps.voice,
      staysUp: true,
      answer: async () => undefined,
      reject: () => control.hangUp(),
      async hangUp() {
        if (!ended.signal.aborted) await hangUp('completed');
      },
      dial: async () => ({ status: 'failed', childCallSid: null, durationSeconds: 0 }),
    };
    const run = { ended, unwatch };
    this.running.set(call.sid, run);
    void this.deps.runner
      .run(call, control)
      .catch((err: unknown) => this.deps.log.error({ err, callSid: call.sid }, 'the sandbox call TwiML failed'))
      // Its TwiML done, the call (which stays up) needs no watching.
      .finally(() => {
        if (this.running.get(call.sid) !== run) return;
        this.running.delete(call.sid);
        unwatch();
      });
  }

  /** A key of the sandbox keypad is about to reach the call (a prompt playing stops: barge-in). */
  pressed(callSid: string): void {
    this.deps.keys.pressed(callSid);
  }

  /** Keys of the sandbox keypad that no pay session took. */
  keys(callSid: string, keys: string, pressedAt: readonly number[]): void {
    [...keys].forEach((key, i) => this.deps.keys.unclaimed(callSid, key, { transport: 'sandbox', mediaTime: 0, at: pressedAt[i]! }));
  }

  /** The call ended: its TwiML stops. */
  ended(callSid: string): void {
    const run = this.running.get(callSid);
    this.running.delete(callSid);
    run?.unwatch();
    run?.ended.abort();
  }
}
