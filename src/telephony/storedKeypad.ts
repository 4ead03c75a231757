/**
 * The sandbox keypad of a cluster: keypresses wait in the database (src/store/keypresses.ts) instead of one
 * process's memory, and every process plays the ones that fall due. The process that queued them plays them
 * at once; the others look every `pollMs`, so the keys of a process that died still reach their call.
 *
 * @example
 *   const keypad = new StoredKeypad({ store: new KeypressStore(db), caller, memberId, intervalMs: 150, log });
 *   keypad.start();
 *   await keypad.press('CA...', '<the digits>#');
 */
import type { KeypressStore, QueuedKeypress } from '../store/keypresses.js';
import type { Logger } from '../log.js';
import type { CallerEvents } from './sandboxCalls.js';

const CLAIM_BATCH = 100;

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
        const due = await this.deps.store.claimDue(this.deps.memberId, this.now(), CLAIM_BATCH, { except: [...this.playing] });
        for (const keypress of due) this.playCall(keypress);
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

  /** Plays a call's keys one after the other for as long as they are due, then hands the call back to the passes. */
  private playCall(first: QueuedKeypress): void {
    this.playing.add(first.callSid);
    void (async () => {
      let keypress: QueuedKeypress | undefined = first;
      while (keypress && !this.stopped) {
        if (!(await this.play(keypress))) break;
        [keypress] = await this.deps.store.claimDue(this.deps.memberId, this.now(), 1, { only: first.callSid });
      }
    })()
      .catch((err: unknown) => this.deps.log.warn({ err, callSid: first.callSid }, 'sandbox keypad stopped playing a call'))
      .finally(() => {
        this.playing.delete(first.callSid);
        this.kick();
      });
  }

  /** Plays one keypress; false when it could not be played now (its lease runs out and it is played again). */
  private async play(keypress: QueuedKeypress): Promise<boolean> {
    let consumed = false;
    try {
      await this.deps.caller.keypress(keypress.callSid, keypress.key, async (trx) => {
        await this.deps.store.consume(trx, keypress.id);
        consumed = true;
      });
      // A key that changed nothing committed nothing: it is played all the same.
      if (!consumed) await this.deps.store.discard({ id: keypress.id });
      return true;
    } catch (err) {
      // PCI: the call only, never the key.
      this.deps.log.warn({ err, callSid: keypress.callSid }, 'keypress could not be played yet');
      return false;
    }
  }
}
