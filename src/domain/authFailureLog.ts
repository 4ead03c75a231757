/**
 * Failed authentications in the log at a bounded rate. Each one is recorded (PCI DSS 10.2.1.4), but only the first
 * `perInterval` of an interval get a line of their own; the rest are counted, by source address, and summed up in
 * one line when the interval is over. A flood of wrong tokens therefore costs a few lines a minute, not one each,
 * and still shows who sent it and how much.
 *
 * @example
 *   const failures = new AuthFailureLog((fields, msg) => log.warn(fields, msg), Date.now);
 *   failures.record({ sourceIp: '203.0.113.7', method: 'GET', path: '/2010-04-01/Accounts/AC.../Calls.json', credential: 'SK...', throttled: false });
 *   setInterval(() => failures.roll(), 60_000); // the summary of a quiet minute is not held back
 */
import { BoundedMemory } from './boundedMemory.js';

export interface AuthFailure {
  sourceIp: string;
  method: string;
  path: string;
  /** The SID the request tried (never its secret), or null when it named none. */
  credential: string | null;
  /** True when it was turned away (429) without its credentials being checked. */
  throttled: boolean;
}

export interface AuthFailureLogOptions {
  perInterval: number;
  intervalMs: number;
}

export const AUTH_FAILURE_LOG: AuthFailureLogOptions = { perInterval: 10, intervalMs: 60_000 };
/** How many addresses a summary names (the busiest); the others are in its totals. */
const SUMMARY_ADDRESSES = 10;

export type LogWrite = (fields: Record<string, unknown>, message: string) => void;

export class AuthFailureLog {
  #intervalStart: number;
  #logged = 0;
  #unlogged = 0;
  #throttled = 0;
  #byAddress = new BoundedMemory<string, number>(10_000);

  constructor(
    private readonly write: LogWrite,
    private readonly now: () => number,
    private readonly options: AuthFailureLogOptions = AUTH_FAILURE_LOG,
  ) {
    this.#intervalStart = now();
  }

  record(failure: AuthFailure): void {
    this.roll();
    if (this.#logged < this.options.perInterval) {
      this.#logged += 1;
      this.write({ ...failure }, 'authentication failed');
      return;
    }
    this.#unlogged += 1;
    if (failure.throttled) this.#throttled += 1;
    this.#byAddress.set(failure.sourceIp, (this.#byAddress.get(failure.sourceIp) ?? 0) + 1);
  }

  /** Ends the interval if it is over: writes the summary of what got no line of its own, and starts the next. */
  roll(): void {
    const now = this.now();
    if (now - this.#intervalStart < this.options.intervalMs) return;
    if (this.#unlogged > 0) {
      const busiest = [...this.#byAddress].sort((a, b) => b[1] - a[1]).slice(0, SUMMARY_ADDRESSES);
      this.write(
        {
          failures: this.#unlogged,
          throttled: this.#throttled,
          addresses: this.#byAddress.size,
          busiest: busiest.map(([sourceIp, failures]) => ({ sourceIp, failures })),
          since: new Date(this.#intervalStart).toISOString(),
        },
        'authentication failures not logged one by one',
      );
    }
    this.#intervalStart = now;
    this.#logged = 0;
    this.#unlogged = 0;
    this.#throttled = 0;
    this.#byAddress = new BoundedMemory(10_000);
  }
}
