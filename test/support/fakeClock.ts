/**
 * A clock whose time moves only when the test says so: `advance(ms)` fires every timer that falls due on the
 * way, in order, including timers those timers set.
 *
 * @example
 *   const clock = new FakeClock();
 *   clock.after(500, () => sent++);
 *   clock.advance(500); // sent === 1
 */
import type { SipClock } from '../../src/telephony/sip/clock.js';

interface Timer {
  at: number;
  fire: () => void;
  order: number;
}

export class FakeClock implements SipClock {
  private time = 0;
  private order = 0;
  private readonly timers = new Set<Timer>();

  now(): number {
    return this.time;
  }

  after(ms: number, fire: () => void): unknown {
    const timer = { at: this.time + ms, fire, order: this.order++ };
    this.timers.add(timer);
    return timer;
  }

  cancel(timer: unknown): void {
    this.timers.delete(timer as Timer);
  }

  /** Timers still set. */
  get pending(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      let next: Timer | null = null;
      for (const timer of this.timers) {
        if (timer.at <= until && (next === null || timer.at < next.at || (timer.at === next.at && timer.order < next.order))) next = timer;
      }
      if (next === null) break;
      this.timers.delete(next);
      this.time = next.at;
      next.fire();
    }
    this.time = until;
  }
}
