/**
 * At most `concurrent` pieces of costly work at once, at most `queued` waiting for a turn, and the rest turned away
 * at once. Key secrets are checked with scrypt (tens of milliseconds of CPU each, on libuv's small thread pool,
 * which file and DNS work share): bounded so, a flood of guesses costs paytone at most that many threads' worth,
 * and everything else goes on being served.
 *
 * @example
 *   const hashing = new WorkSlots(2, 64);
 *   const result = await hashing.run(() => scryptAsync(secret, salt, 32));
 *   if (!result.ran) return tooBusy();
 */
export type SlotResult<T> = { ran: true; value: T } | { ran: false };

export class WorkSlots {
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(
    private readonly concurrent: number,
    private readonly queued: number,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<SlotResult<T>> {
    if (this.#running >= this.concurrent) {
      if (this.#waiting.length >= this.queued) return { ran: false };
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running += 1;
    }
    try {
      return { ran: true, value: await work() };
    } finally {
      // The slot passes straight to the next in line, or is given back.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running -= 1;
    }
  }
}
