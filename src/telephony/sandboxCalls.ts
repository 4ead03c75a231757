/**
 * Sandbox telephony: calls that are answered at once, and a caller keypad that plays digits into them at a
 * person's pace (Twilio's SendDigits syntax: `0-9 * #`, and `w` for half a second of pause).
 *
 * @example
 *   const call = await telephony.placeCall(accountSid, { to: '+15551230000', from: '+15559870000', ... });
 *   telephony.pressKeys(call, '4242 4242 4242 4242#'.replace(/ /g, ''));
 */
import { payError } from '../domain/errors.js';
import { newSid } from '../domain/sids.js';
import { callStatusParams } from '../domain/callEvents.js';
import type { LiveEvent } from '../domain/liveEvents.js';
import type { CallRecord } from '../domain/callView.js';
import type { CallStore } from '../store/calls.js';
import type { Logger } from '../log.js';

export interface CallerEvents {
  keypress(callSid: string, digit: string): Promise<void>;
  hangup(callSid: string): Promise<void>;
}

export interface NewCall {
  to: string;
  from: string;
  url: string | null;
  twiml: string | null;
  statusCallback: string | null;
  statusCallbackMethod: string | null;
}

const PAUSE_MS = 500;
const DIGITS = /^[0-9*#w]+$/;

export class SandboxTelephony {
  /** Digits waiting to be played, per call. In memory: a digit counts once the session has accepted it. */
  private readonly keypads = new Map<string, { queue: string[]; playing: boolean }>();
  private readonly sleep: (ms: number) => Promise<void>;
  /** Keypads playing now; `settle` waits for them. */
  private readonly players = new Set<Promise<void>>();

  constructor(
    private readonly deps: {
      calls: CallStore;
      caller: CallerEvents;
      outbox: { kick(): void };
      /** Live listeners (the event stream); told when a call is placed or ends. */
      onEvents?: (events: LiveEvent[]) => void;
      dtmfIntervalMs: number;
      log: Logger;
      now?: () => number;
      sleep?: (ms: number) => Promise<void>;
    },
  ) {
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  private get now(): number {
    return (this.deps.now ?? Date.now)();
  }

  async placeCall(accountSid: string, call: NewCall): Promise<CallRecord> {
    const now = this.now;
    const record: CallRecord = {
      sid: newSid('CA'),
      accountSid,
      ...call,
      status: 'in-progress',
      direction: 'outbound-api',
      dateCreated: now,
      dateUpdated: now,
      startTime: now,
      endTime: null,
    };
    const live = await this.deps.calls.insert(record);
    this.deps.onEvents?.(live);
    return record;
  }

  async hangUp(call: CallRecord, status: 'completed' | 'canceled'): Promise<CallRecord> {
    if (call.status !== 'in-progress') return call;
    this.keypads.delete(call.sid);
    const { ended, live } = await this.deps.calls.end(call, status, this.now, (c) =>
      c.statusCallback ? { url: c.statusCallback, params: callStatusParams(c) } : null,
    );
    if (call.statusCallback) this.deps.outbox.kick();
    this.deps.onEvents?.(live);
    await this.deps.caller.hangup(call.sid);
    return ended;
  }

  /** Queues digits on a call in progress; they are played in order, one keypress every `dtmfIntervalMs`. */
  pressKeys(call: CallRecord, digits: string): void {
    if (call.status !== 'in-progress') {
      throw payError(21220, `Call ${call.sid} is ${call.status}: digits can only be sent to a call in progress.`);
    }
    if (!DIGITS.test(digits)) {
      throw payError(64020, 'Digits may contain only 0-9, *, # and w (a half-second pause); for example "1230#" or "94107w#".');
    }
    const keypad = this.keypads.get(call.sid) ?? { queue: [], playing: false };
    keypad.queue.push(...digits);
    this.keypads.set(call.sid, keypad);
    if (!keypad.playing) {
      const player = this.play(call.sid, keypad).finally(() => this.players.delete(player));
      this.players.add(player);
    }
  }

  /** Resolves once every digit already queued has been played (a graceful shutdown waits for them). */
  async settle(): Promise<void> {
    while (this.players.size > 0) await Promise.allSettled([...this.players]);
  }

  private async play(callSid: string, keypad: { queue: string[]; playing: boolean }): Promise<void> {
    keypad.playing = true;
    try {
      while (keypad.queue.length > 0 && this.keypads.get(callSid) === keypad) {
        const key = keypad.queue.shift()!;
        if (key === 'w') {
          await this.sleep(PAUSE_MS);
          continue;
        }
        try {
          await this.deps.caller.keypress(callSid, key);
        } catch (err) {
          this.deps.log.error({ err, callSid }, 'keypress could not be applied');
        }
        if (keypad.queue.length > 0 && this.deps.dtmfIntervalMs > 0) await this.sleep(this.deps.dtmfIntervalMs);
      }
    } finally {
      keypad.playing = false;
    }
  }
}
