/**
 * The keypads of the real calls this process holds, by call sid, and the counts of the calls that ended lately:
 * what an operator reads of a call's keypad (keys per transport, the same key again, masked keys, the detector's
 * rejections; never a key). Counts only, so keeping them after the call is no cardholder data; the most recent
 * `KEPT_ENDED` ended calls are kept, in this process's memory (a cluster's other processes do not know them).
 *
 * @example
 *   const keypads = new CallKeypads({ keys: callerKeys, observer: keypadMetrics });
 *   new RealCalls({ ..., taps: keypads.open });
 *   keypads.countsOf(callSid);   // { live: true, counts: { rfc4733: 3, ... } }
 */
import type { CallerTap } from '../callerAudio.js';
import type { CallerKeys } from '../callerKeys.js';
import { CallKeypad, type KeypadCounts, type KeypadObserver } from './callKeypad.js';

const KEPT_ENDED = 1000;

export interface CallKeypadCounts {
  /** Whether the call is still up in this process. */
  live: boolean;
  /** The keypad's counts, and the keys the masker took out of the agent's audio. */
  counts: KeypadCounts & { masked: number };
}

export class CallKeypads {
  private readonly live = new Map<string, CallKeypad>();
  private readonly ended = new Map<string, CallKeypadCounts['counts']>();

  constructor(private readonly deps: { keys: CallerKeys; observer?: KeypadObserver; kept?: number }) {}

  /** The tap of a real call that begins: its keypad, counted here until the call ends and for a while after. */
  readonly open = (callSid: string): CallerTap => {
    const keypad = new CallKeypad(callSid, this.deps.keys, undefined, this.deps.observer);
    this.live.set(callSid, keypad);
    return {
      stages: keypad.stages,
      telephoneEvent: (view, packet) => keypad.telephoneEvent(view, packet),
      info: (contentType, body) => keypad.info(contentType, body),
      close: () => {
        keypad.close();
        this.retire(callSid, keypad);
      },
    };
  };

  countsOf(callSid: string): CallKeypadCounts | null {
    const keypad = this.live.get(callSid);
    if (keypad !== undefined) return { live: true, counts: countsOf(keypad) };
    const counts = this.ended.get(callSid);
    return counts === undefined ? null : { live: false, counts: { ...counts } };
  }

  private retire(callSid: string, keypad: CallKeypad): void {
    if (this.live.get(callSid) !== keypad) return;
    this.live.delete(callSid);
    this.ended.set(callSid, countsOf(keypad));
    if (this.ended.size > (this.deps.kept ?? KEPT_ENDED)) this.ended.delete(this.ended.keys().next().value!);
  }
}

function countsOf(keypad: CallKeypad): CallKeypadCounts['counts'] {
  return { ...keypad.counts, masked: keypad.maskCounts.keys };
}
