/**
 * Sandbox telephony: calls that are answered at once, and a caller keypad that plays digits into them at a
 * person's pace (Twilio's SendDigits syntax: `0-9 * #`, and `w` for half a second of pause).
 *
 * @example
 *   const call = await telephony.placeCall(accountSid, { to: '+15551230000', from: '+15559870000', ... });
 *   telephony.pressKeys(call, '4242 4242 4242 4242#'.replace(/ /g, ''));
 */
import { payError } from '../domain/errors.js';
import type { CallRecord } from '../domain/callView.js';
import type { CreateCallParams } from '../domain/callParams.js';
import type { CallProgress } from '../app/callProgress.js';
import type { Logger } from '../log.js';
import type { AlongWith } from '../store/sessions.js';
import type { StoredKeypad } from './storedKeypad.js';
import { KEYPAD_PAUSE_MS } from '../store/keypresses.js';
import type { SandboxTwiml } from './sandboxCall.js';

export interface CallerEvents {
  /**
   * One or more keys (in the order pressed, each pressed at `pressedAt[i]`, epoch ms) reach the call's session in
   * one change. `alongWith` commits with that change (a stored keypress leaving its queue). False when no session
   * was open to take them.
   */
  keypress(callSid: string, keys: string, pressedAt: readonly number[], alongWith?: AlongWith): Promise<unknown>;
  hangup(callSid: string): Promise<void>;
}

const PAUSE_MS = KEYPAD_PAUSE_MS;
/** The most keys one change of a session takes, so that a long string of digits commits in bounded pieces. */
export const KEYS_PER_CHANGE = 32;

/**
 * A call's keys waiting to be played; `inHand` counts the keys being played now, pressed from `inHandSince`.
 * `playAt` is when the next key is due: the caller's own pace, one key every interval from the first, whatever the
 * server was doing meanwhile (as the stored keypad of a cluster schedules them). A key played late does not push
 * the caller's later keys back.
 */
interface Keypad {
  queue: string[];
  playing: boolean;
  inHand: number;
  inHandSince: number;
  playAt: number;
}
const DIGITS = /^[0-9*#w]+$/;

export class SandboxTelephony {
  /** Digits waiting to be played, per call. In memory: a digit counts once the session has accepted it. */
  private readonly keypads = new Map<string, Keypad>();
  private readonly sleep: (ms: number) => Promise<void>;
  /** Keypads playing now; `settle` waits for them. */
  private readonly players = new Set<Promise<void>>();

  constructor(
    private readonly deps: {
      /** Stores calls and their moves, sends their status callbacks, ends their pay sessions when they end. */
      progress: CallProgress;
      caller: CallerEvents;
      dtmfIntervalMs: number;
      log: Logger;
      now?: () => number;
      sleep?: (ms: number) => Promise<void>;
      /** Cluster: keypresses wait in the database, so one a process accepted survives that process. */
      storedKeypad?: StoredKeypad;
      /** Runs a sandbox call's Url or Twiml, and gives it the keys no pay session takes (src/telephony/sandboxCall.ts). */
      twiml?: SandboxTwiml;
    },
  ) {
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  private get now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** A sandbox call: placed, rung and answered at once (its StatusCallbackEvent moments all happen now); its TwiML starts. */
  async placeCall(accountSid: string, call: CreateCallParams): Promise<CallRecord> {
    const placed = await this.deps.progress.place({
      accountSid,
      to: call.to,
      from: call.from,
      status: 'in-progress',
      direction: 'outbound-api',
      parentCallSid: null,
      phoneNumberSid: null,
      url: call.url,
      method: call.method,
      fallbackUrl: call.fallbackUrl,
      fallbackMethod: call.fallbackMethod,
      twiml: call.twiml,
      statusCallback: call.statusCallback,
      statusCallbackMethod: call.statusCallbackMethod,
      statusCallbackEvents: call.statusCallbackEvents,
      timeoutSeconds: null,
      sipCallId: null,
      sipSourceIp: null,
    });
    this.deps.twiml?.start(placed, (status) => this.hangUp(placed, status));
    return placed;
  }

  /** Hangs up a sandbox call; its keys still queued are dropped, like keypresses on a line that went dead. */
  async hangUp(call: CallRecord, status: 'completed' | 'canceled'): Promise<CallRecord> {
    if (call.status !== 'in-progress') return call;
    this.keypads.delete(call.sid);
    await this.deps.storedKeypad?.clear(call.sid);
    this.deps.twiml?.ended(call.sid);
    return this.deps.progress.end(call, status);
  }

  /** Queues digits on a call in progress; they are played in order, one keypress every `dtmfIntervalMs`. */
  async pressKeys(call: CallRecord, digits: string): Promise<void> {
    if (call.status !== 'in-progress') {
      throw payError(21220, `Call ${call.sid} is ${call.status}: digits can only be sent to a call in progress.`);
    }
    if (!DIGITS.test(digits)) {
      throw payError(64020, 'Digits may contain only 0-9, *, # and w (a half-second pause); for example "1230#" or "94107w#".');
    }
    if (this.deps.storedKeypad) return this.deps.storedKeypad.press(call.sid, digits);
    const keypad = this.keypads.get(call.sid) ?? { queue: [], playing: false, inHand: 0, inHandSince: 0, playAt: this.now };
    keypad.queue.push(...digits);
    this.keypads.set(call.sid, keypad);
    if (!keypad.playing) {
      // Digits sent after a pause start now, or an interval after the last key, whichever is later.
      keypad.playAt = Math.max(keypad.playAt, this.now);
      const player = this.play(call.sid, keypad).finally(() => this.players.delete(player));
      this.players.add(player);
    }
  }

  /** Resolves once every digit already queued has been played (a graceful shutdown waits for them). */
  async settle(): Promise<void> {
    while (this.players.size > 0) await Promise.allSettled([...this.players]);
  }

  /** How many of the call's keys have not reached it yet (pauses not counted). */
  async queuedKeys(callSid: string): Promise<number> {
    if (this.deps.storedKeypad) return this.deps.storedKeypad.queued(callSid);
    const keypad = this.keypads.get(callSid);
    return keypad ? keypad.queue.filter((key) => key !== 'w').length + keypad.inHand : 0;
  }

  /**
   * Whether a key the caller pressed at or before `at` has yet to reach the call's session: a field's deadline waits
   * for it (see PaymentSessions.passDeadline).
   */
  async pressedBy(callSid: string, at: number): Promise<boolean> {
    if (this.deps.storedKeypad) return this.deps.storedKeypad.pressedBy(callSid, at);
    const keypad = this.keypads.get(callSid);
    if (!keypad) return false;
    if (keypad.inHand > 0 && keypad.inHandSince <= at) return true;
    const pauses = keypad.queue.findIndex((key) => key !== 'w');
    return pauses >= 0 && keypad.playAt + pauses * PAUSE_MS <= at;
  }

  private async play(callSid: string, keypad: Keypad): Promise<void> {
    keypad.playing = true;
    try {
      while (keypad.queue.length > 0 && this.keypads.get(callSid) === keypad) {
        if (keypad.queue[0] === 'w') {
          keypad.queue.shift();
          keypad.playAt += PAUSE_MS;
          continue;
        }
        const wait = keypad.playAt - this.now;
        if (wait > 0) {
          // The key stays queued while the caller waits; the call may end meanwhile.
          await this.sleep(wait);
          continue;
        }
        const { keys, pressedAt } = this.dueKeys(keypad);
        keypad.inHand = keys.length;
        keypad.inHandSince = pressedAt[0]!;
        try {
          this.deps.twiml?.pressed(callSid);
          const taken = await this.deps.caller.keypress(callSid, keys, pressedAt);
          if (taken === false) this.deps.twiml?.keys(callSid, keys, pressedAt);
        } catch (err) {
          this.deps.log.error({ err, callSid }, 'keypress could not be applied');
        } finally {
          keypad.inHand = 0;
        }
      }
    } finally {
      keypad.playing = false;
    }
  }

  /**
   * Takes the keys at the head of the queue that are due now, up to a pause and at most `KEYS_PER_CHANGE`: the
   * first always, then each one whose time has come too. Keys due together reach the session in one change (one
   * commit for all of them; their callbacks are still one per key), as a late server catches up or a machine-paced
   * keypad plays a whole entry at once.
   */
  private dueKeys(keypad: Keypad): { keys: string; pressedAt: number[] } {
    let keys = '';
    const pressedAt: number[] = [];
    do {
      keys += keypad.queue.shift()!;
      pressedAt.push(keypad.playAt);
      keypad.playAt += this.deps.dtmfIntervalMs;
    } while (keys.length < KEYS_PER_CHANGE && keypad.queue.length > 0 && keypad.queue[0] !== 'w' && keypad.playAt <= this.now);
    return { keys, pressedAt };
  }
}
