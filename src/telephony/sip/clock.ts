/**
 * The timers SIP signalling runs on (RFC 3261 §17 and Table 4), behind one small interface so that tests drive
 * every retransmission and timeout with a fake clock instead of waiting.
 *
 * @example
 *   const timer = clock.after(SIP_TIMERS.t1, () => retransmit());
 *   clock.cancel(timer);
 */
export interface SipClock {
  after(ms: number, fire: () => void): unknown;
  cancel(timer: unknown): void;
  now(): number;
}

/** T1 (round-trip estimate), T2 (most a non-INVITE request or an INVITE response waits between resends), T4. */
export const SIP_TIMERS = { t1: 500, t2: 4000, t4: 5000 };

export const systemClock: SipClock = {
  after(ms, fire) {
    const timer = setTimeout(fire, ms);
    timer.unref();
    return timer;
  },
  cancel(timer) {
    clearTimeout(timer as NodeJS.Timeout);
  },
  now: () => Date.now(),
};
