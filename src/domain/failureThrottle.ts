/**
 * Failed sign-ins counted per key (a source address, or the credential SID that was tried): after `max` failures
 * within `windowMs` the key is locked for `windowMs`, and the caller answers 429 without checking anything costly.
 *
 * An attempt that needs costly work (a key secret's scrypt) is counted as a failure before the work starts and
 * refunded if it succeeds, so attempts running at the same time can never do more than `max` hashes per window.
 * Memory is bounded: past `capacity` keys the oldest is forgotten (a locked key too, which only lets its holder
 * try again sooner).
 *
 * @example
 *   const perKey = new FailureThrottle({ max: 10, windowMs: 30 * 60_000 }, Date.now);
 *   if (perKey.take('SK...') > 0) return tooMany();   // counted; refunded below if it was right
 *   if (await secretMatches(...)) perKey.refund('SK...');
 */
import { BoundedMemory } from './boundedMemory.js';

export interface FailureLimit {
  max: number;
  windowMs: number;
}

interface Count {
  failures: number;
  windowStart: number;
  lockedUntil: number;
}

export const THROTTLE_CAPACITY = 10_000;

export class FailureThrottle {
  readonly #counts: BoundedMemory<string, Count>;

  constructor(
    readonly limit: FailureLimit,
    private readonly now: () => number,
    capacity = THROTTLE_CAPACITY,
  ) {
    this.#counts = new BoundedMemory(capacity);
  }

  /** How long `key` stays locked, in ms (0: not locked). */
  lockedFor(key: string): number {
    const count = this.#counts.get(key);
    return count ? Math.max(0, count.lockedUntil - this.now()) : 0;
  }

  /**
   * Counts a failure, or an attempt that fails unless refunded. Returns 0 when counted, or how long the key is
   * locked (nothing counted).
   */
  take(key: string): number {
    const locked = this.lockedFor(key);
    if (locked > 0) return locked;
    const now = this.now();
    const current = this.#counts.get(key);
    const count = current && now - current.windowStart < this.limit.windowMs ? current : { failures: 0, windowStart: now, lockedUntil: 0 };
    count.failures += 1;
    if (count.failures >= this.limit.max) count.lockedUntil = now + this.limit.windowMs;
    // Deleted and set again: the Map's order is the order of last use, so the least recent key is forgotten first.
    this.#counts.delete(key);
    this.#counts.set(key, count);
    return 0;
  }

  /** Takes back an attempt `take` counted that turned out right. */
  refund(key: string): void {
    const count = this.#counts.get(key);
    if (!count) return;
    count.failures = Math.max(0, count.failures - 1);
    if (count.failures < this.limit.max) count.lockedUntil = 0;
  }
}
