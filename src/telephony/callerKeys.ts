/**
 * The keys a real call's caller typed, on their way out of the call: every key the call's receivers agreed on
 * (RFC 4733, SIP INFO, in-band tones; one key however many transports carried it) goes, in the order heard, to
 * the call's open pay session when one is open (the same input path as the sandbox keypad, so every capture rule
 * applies unchanged), and otherwise to whatever subscribed on the call (an IVR verb reading the keypad).
 * A key is given to one of them, never both, and is not kept once delivered.
 *
 * It also answers, for each call's keypad, which keys the agent must not hear (`maskingOf`): every key while a pay
 * session may be open on the call, and every key outside one too when the call's account asks for it
 * (`paytone accounts update --mask-keys always`, read as the call's keypad opens). Until the account's answer is
 * in, or if it cannot be read, every key is masked: the safe side.
 *
 * Keys heard together reach the session in one change (at most `KEYS_PER_CHANGE`). A session's deadline waits
 * for a key heard before it and still on its way (`pressedBy`), as it does for the sandbox keypad's.
 *
 * @example
 *   const keys = new CallerKeys({ sessions: payments, log });
 *   const stop = keys.subscribe(callSid, (key, info) => gather.push(key, info.at));
 *   keys.heard(callSid, '4', { transport: 'rfc4733', mediaTime: 123_456, at: Date.now() });
 */
import type { Logger } from '../log.js';
import { KEYS_PER_CHANGE } from './sandboxCalls.js';
import type { KeyMasking, MaskSound } from './keypad/keyMasker.js';

export type KeyTransport = 'rfc4733' | 'sip-info' | 'in-band' | 'sandbox';

export interface CallerKeyInfo {
  /** The transport that heard the key first. */
  transport: KeyTransport;
  /** Where the key began on the caller's media timeline: an RTP timestamp (8 kHz samples); 0 for the sandbox keypad. */
  mediaTime: number;
  /** When paytone heard it (epoch ms). */
  at: number;
}

export type CallerKeyListener = (key: string, info: CallerKeyInfo) => void;

/** Where a key goes first: the call's open pay session, if any (true when one took the keys). */
export interface SessionKeypad {
  keypress(callSid: string, keys: string, pressedAt: readonly number[]): Promise<boolean>;
}

/** What decides a call's masking: the setting, the open session, the call's account. */
export interface MaskingRules {
  sound: MaskSound;
  /** Whether a pay session may be open on the call now, answered at once (the masker decides within a frame). */
  payMayBeOpen(callSid: string): boolean;
  /** Whether the call's account masks every key, pay session or not. */
  masksEveryKey(callSid: string): Promise<boolean>;
}

/** With no rules given, every key is masked with a flat beep. */
const MASK_EVERY_KEY: KeyMasking = { sound: 'flat', masks: () => true };

interface CallKeys {
  waiting: Array<{ key: string; info: CallerKeyInfo }>;
  listeners: Set<CallerKeyListener>;
  delivering: boolean;
  /** When the oldest key being delivered now was heard, or null. */
  inHandSince: number | null;
}

export class CallerKeys {
  private readonly calls = new Map<string, CallKeys>();
  /** Per call, who wants to know that a key was pressed, whoever takes it (a prompt to stop: barge-in). */
  private readonly pressWatchers = new Map<string, Set<() => void>>();

  constructor(private readonly deps: { sessions: SessionKeypad; log: Logger; masking?: MaskingRules }) {}

  /** The masking of a call's keys (asked once, as its keypad opens). */
  maskingOf(callSid: string): KeyMasking {
    const rules = this.deps.masking;
    if (rules === undefined) return MASK_EVERY_KEY;
    let everyKey = true;
    rules.masksEveryKey(callSid).then(
      (always) => (everyKey = always),
      (err: unknown) => this.deps.log.error({ err, callSid }, "the account's key masking could not be read: every key is masked"),
    );
    return { sound: rules.sound, masks: () => everyKey || rules.payMayBeOpen(callSid) };
  }

  /** Keys of the call from now on that no pay session takes; the returned function stops them. */
  subscribe(callSid: string, listener: CallerKeyListener): () => void {
    const call = this.call(callSid);
    call.listeners.add(listener);
    return () => {
      call.listeners.delete(listener);
      this.drop(callSid, call);
    };
  }

  /**
   * Calls `listener` each time the caller presses a key, a pay session's included, as soon as it is heard; it is
   * never told which key (PCI: a pay session's digits go to the session only). The returned function stops it.
   */
  onPress(callSid: string, listener: () => void): () => void {
    let watchers = this.pressWatchers.get(callSid);
    if (watchers === undefined) this.pressWatchers.set(callSid, (watchers = new Set()));
    watchers.add(listener);
    return () => {
      watchers.delete(listener);
      if (watchers.size === 0 && this.pressWatchers.get(callSid) === watchers) this.pressWatchers.delete(callSid);
    };
  }

  /** A key was pressed on the call (any keypad): its press watchers hear of it. */
  pressed(callSid: string): void {
    for (const listener of [...(this.pressWatchers.get(callSid) ?? [])]) {
      try {
        listener();
      } catch (err) {
        this.deps.log.error({ err, callSid }, 'a key press watcher failed');
      }
    }
  }

  /** A key the call's receivers agreed on. */
  heard(callSid: string, key: string, info: CallerKeyInfo): void {
    this.pressed(callSid);
    const call = this.call(callSid);
    call.waiting.push({ key, info });
    if (!call.delivering) void this.deliver(callSid, call);
  }

  /** A sandbox keypad's key that no pay session took (the keypad offered it to the session first): to the listeners. */
  unclaimed(callSid: string, key: string, info: CallerKeyInfo): void {
    const call = this.calls.get(callSid);
    if (call !== undefined) this.tell(callSid, call, key, info);
  }

  /** Whether the call has a key heard at or before `at` (epoch ms) that has not been delivered yet. */
  pressedBy(callSid: string, at: number): boolean {
    const call = this.calls.get(callSid);
    if (call === undefined) return false;
    if (call.inHandSince !== null && call.inHandSince <= at) return true;
    return call.waiting.length > 0 && call.waiting[0]!.info.at <= at;
  }

  /** The call ended: its keys not yet delivered and its subscriptions are dropped. */
  ended(callSid: string): void {
    this.pressWatchers.delete(callSid);
    const call = this.calls.get(callSid);
    if (call === undefined) return;
    call.waiting.length = 0;
    call.listeners.clear();
    this.calls.delete(callSid);
  }

  private call(callSid: string): CallKeys {
    let call = this.calls.get(callSid);
    if (call === undefined) {
      call = { waiting: [], listeners: new Set(), delivering: false, inHandSince: null };
      this.calls.set(callSid, call);
    }
    return call;
  }

  private drop(callSid: string, call: CallKeys): void {
    if (call.listeners.size === 0 && call.waiting.length === 0 && !call.delivering && this.calls.get(callSid) === call) this.calls.delete(callSid);
  }

  private async deliver(callSid: string, call: CallKeys): Promise<void> {
    call.delivering = true;
    try {
      while (call.waiting.length > 0) {
        const batch = call.waiting.splice(0, KEYS_PER_CHANGE);
        call.inHandSince = batch[0]!.info.at;
        let taken = false;
        try {
          taken = await this.deps.sessions.keypress(callSid, batch.map((k) => k.key).join(''), batch.map((k) => k.info.at));
        } catch (err) {
          // PCI: the error and the call, never the keys.
          this.deps.log.error({ err, callSid, keys: batch.length }, 'caller keys could not be applied');
          taken = true;
        }
        if (!taken) for (const { key, info } of batch) this.tell(callSid, call, key, info);
      }
    } finally {
      call.inHandSince = null;
      call.delivering = false;
      this.drop(callSid, call);
    }
  }

  private tell(callSid: string, call: CallKeys, key: string, info: CallerKeyInfo): void {
    for (const listener of [...call.listeners]) {
      try {
        listener(key, info);
      } catch (err) {
        this.deps.log.error({ err, callSid, transport: info.transport }, 'a caller key listener failed');
      }
    }
  }
}
