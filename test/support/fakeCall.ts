/**
 * A call for TwiML tests, with no SIP under it: a `CallControl` that records what the verbs did to it, a clock
 * whose sleeps pass at once (and are recorded), and an app whose documents a test writes.
 *
 * @example
 *   const call = fakeCall({ dial: async () => ({ status: 'busy', childCallSid: null, durationSeconds: 0 }) });
 *   await interpreter.run(record, call.control, source);
 *   assert.deepEqual(call.actions, ['answer', 'dial sip:agent@10.0.0.5', 'hangUp']);
 */
import type { CallControl, DialOptions, DialOutcome, DialTarget } from '../../src/twiml/callControl.js';
import type { Clock } from '../../src/twiml/clock.js';
import { sayingMs } from '../../src/twiml/speech.js';

export interface FakeCall {
  control: CallControl;
  clock: Clock & { slept: number[] };
  /** What was done to the call, in order: `answer`, `reject busy`, `hangUp`, `dial <targets>`, `say <text>`, `play <url>`. */
  actions: string[];
  dials: Array<{ targets: DialTarget[]; options: DialOptions }>;
  /** The far end hangs up. */
  hangUpFarEnd(): void;
  /** Listens to the caller's keys (what the interpreter's `keys` gives a verb). */
  keys(listener: (key: string) => void): () => void;
  /** The caller presses keys: each listening now hears each key. */
  press(keys: string): void;
}

/** A `<Play>` of a URL ending in this is answered 404. */
export const MISSING_FILE = '/missing.wav';

export function fakeCall(script: { dial?: (targets: DialTarget[], options: DialOptions, call: FakeCall) => Promise<DialOutcome> } = {}): FakeCall {
  const farEnd = new AbortController();
  const actions: string[] = [];
  const dials: FakeCall['dials'] = [];
  let now = 1_000_000;
  const slept: number[] = [];
  const listeners = new Set<(key: string) => void>();
  const call: FakeCall = {
    actions,
    dials,
    hangUpFarEnd: () => farEnd.abort(),
    keys(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    press(keys) {
      for (const key of keys) for (const listener of [...listeners]) listener(key);
    },
    clock: {
      slept,
      now: () => now,
      async sleep(ms, signal) {
        if (signal.aborted) return;
        slept.push(ms);
        now += ms;
      },
    },
    control: {
      callSid: 'CA' + 'b'.repeat(32),
      hungUp: farEnd.signal,
      async answer() {
        actions.push('answer');
      },
      async reject(reason) {
        actions.push(`reject ${reason}`);
      },
      async hangUp() {
        actions.push('hangUp');
      },
      async dial(targets, options) {
        actions.push(`dial ${targets.map((t) => (t.kind === 'sip' ? t.uri : t.number)).join(' ')}`);
        dials.push({ targets, options });
        return script.dial ? script.dial(targets, options, call) : { status: 'completed', childCallSid: 'CA' + 'c'.repeat(32), durationSeconds: 42 };
      },
      voice: {
        async say(say, signal) {
          actions.push(`say ${say.text}`);
          await call.clock.sleep(sayingMs(say.text), signal);
        },
        async play(url, signal) {
          if (url.endsWith(MISSING_FILE)) return { code: 11200, message: `<Play> ${url} could not be played: HTTP 404.` };
          actions.push(`play ${url}`);
          await call.clock.sleep(3000, signal);
          return null;
        },
      },
    },
  };
  return call;
}
