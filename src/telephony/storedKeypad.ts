/**
 * The sandbox keypad of a cluster: keypresses wait in the database (src/store/keypresses.ts) instead of one
 * process's memory, and every process plays the ones that fall due. The process that queued them plays them
 * at once; the others look every `pollMs`, so the keys of a process that died still reach their call.
 *
 * A process plays at most `PLAYING_CALLS` calls at a time, and claims no more than that: each change holds one of
 * the connections the cluster's session locks run on, and a key claimed beyond them would only wait for one, its
 * lease running out meanwhile so that another process played it too (measured: 400 calls typing at once on three
 * processes made 7,000 such double plays and 25 keys/s). Within that, as many as the lock connections leave to
 * API requests: a change waits on round trips, not on CPU, so calls played side by side are what makes keys/s
 * (BENCHMARKS.md, cluster). A call's keys that are due together reach its
 * session in one change, and one call's changes run one after another, so its keys arrive in order.
 *
 * @example
 *   const keypad = new StoredKeypad({ store: new KeypressStore(db, vault), caller, memberId, intervalMs: 150, log });
 *   keypad.start();
 *   await keypad.press('CA...', '<the digits>#');
 */
import { SESSION_LOCK_CONNECTIONS } from '../store/cluster.js';
import type { KeypressStore, QueuedKeypress } from '../store/keypresses.js';
import type { Logger } from '../log.js';
import { KEYS_PER_CHANGE, type CallerEvents } from './sandboxCalls.js';

/** Calls one process plays at once: the session locks' connections (src/store/cluster.ts) but 4 kept for API requests. */
const PLAYING_CALLS = SESSION_LOCK_CONNECTIONS - 4;

export class StoredKeypad {
  private readonly now: () => number;
  private readonly pollMs: number;
  private pass: Promise<void> | null = null;
  private passAgain = false;
  private wakeTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Calls whose keys this process is playing now, one key at a time each. */
  private readonly playing = new Set<string>();

  constructor(
    private readonly deps: {
      store: KeypressStore;
      caller: CallerEvents;
      memberId: string;
      intervalMs: number;
      log: Logger;
      now?: () => number;
      pollMs?: number;
    },
  ) {
    this.now = deps.now ?? Date.now;
    this.pollMs = deps.pollMs ?? 250;
  }

  /** Queues keys on a call (already checked to be in progress and well-formed) and starts playing them. */
  async press(callSid: string, keys: string): Promise<void> {
    await this.deps.store.queue(callSid, keys, this.now(), this.deps.intervalMs);
    this.kick();
  }

  /** How many of the call's keys have not reached it yet. */
  queued(callSid: string): Promise<number> {
    return this.deps.store.count(callSid);
  }

  /** Whether the call has a key pressed at or before `at` that has not reached its session yet. */
  pressedBy(callSid: string, at: number): Promise<boolean> {
    return this.deps.store.pressedBy(callSid, at);
  }

  /** The call ended: its queued keys are never played. */
  async clear(callSid: string): Promise<void> {
    await this.deps.store.discard({ callSid });
  }

  start(): void {
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    await this.pass;
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.pass) {
      this.passAgain = true;
      return;
    }
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.pass = this.startDue().finally(() => (this.pass = null));
  }

  /** Starts playing every call with a due keypress that this process is not playing yet. */
  private async startDue(): Promise<void> {
    let wakeAt = this.now() + this.pollMs;
    do {
      this.passAgain = false;
      try {
        const room = PLAYING_CALLS - this.playing.size;
        const due = room > 0 ? await this.deps.store.claimDue(this.deps.memberId, this.now(), room, KEYS_PER_CHANGE, { except: [...this.playing] }) : [];
        for (const keys of byCall(due)) this.playCall(keys);
        const next = await this.deps.store.nextDueAt();
        const now = this.now();
        // A due key this process could not claim is being played by another one: look again at the next poll.
        wakeAt = next !== null && next > now ? Math.min(next, now + this.pollMs) : now + this.pollMs;
      } catch (err) {
        this.deps.log.warn({ err }, 'sandbox keypad pass failed');
      }
    } while (this.passAgain && !this.stopped);
    if (this.stopped) return;
    this.wakeTimer = setTimeout(() => this.kick(), Math.max(0, wakeAt - this.now()));
    this.wakeTimer.unref();
  }

  /** Plays a call's due keys, and then those that fall due, for as long as there are any; then hands the call back. */
  private playCall(first: QueuedKeypress[]): void {
    const callSid = first[0]!.callSid;
    this.playing.add(callSid);
    void (async () => {
      let keys = first;
      while (keys.length > 0 && !this.stopped) {
        if (!(await this.play(callSid, keys))) break;
        keys = await this.deps.store.claimDue(this.deps.memberId, this.now(), 1, KEYS_PER_CHANGE, { only: callSid });
      }
    })()
      .catch((err: unknown) => this.deps.log.warn({ err, callSid }, 'sandbox keypad stopped playing a call'))
      .finally(() => {
        this.playing.delete(callSid);
        this.kick();
      });
  }

  /** Plays keys in one change; false when they could not be played now (their lease runs out and they are played again). */
  private async play(callSid: string, keys: QueuedKeypress[]): Promise<boolean> {
    const ids = keys.map((k) => k.id);
    const consumed = this.deps.store.consumed(ids);
    try {
      const pressed = keys.map((k) => k.key).join('');
      await this.deps.caller.keypress(callSid, pressed, keys.map((k) => k.playAt), consumed);
      // Keys that changed nothing committed nothing: they are played all the same.
      if (!consumed.committed) await this.deps.store.discard({ ids });
      return true;
    } catch (err) {
      // PCI: the call only, never the keys.
      this.deps.log.warn({ err, callSid }, 'keypresses could not be played yet');
      return false;
    }
  }
}

/** Claimed keypresses grouped by call, each call's in the order pressed. */
function byCall(keypresses: QueuedKeypress[]): QueuedKeypress[][] {
  const calls = new Map<string, QueuedKeypress[]>();
  for (const keypress of keypresses) calls.set(keypress.callSid, [...(calls.get(keypress.callSid) ?? []), keypress]);
  return [...calls.values()];
}
