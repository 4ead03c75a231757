/**
 * Time as the TwiML verbs see it: `<Pause>` sleeps on it, so tests run every pause on a fake clock.
 *
 * @example
 *   await clock.sleep(2_000, control.hungUp); // resolves early when the caller hangs up
 */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` fires. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: Date.now,
  sleep(ms, signal) {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  },
};
