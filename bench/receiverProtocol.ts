/** Messages between the load generator and the callback receiver process. */

/** A callback that ends something: a field (PartialResult=false), the session (Result), or its start. */
export interface Arrival {
  token: string;
  sid: string;
  capture: string;
  errorType: string;
  result: string;
  /** Epoch milliseconds, fractional. */
  at: number;
}

export type ReceiverRequest = { type: 'stats' } | { type: 'partials' } | { type: 'reset' };

export type ReceiverReply =
  | { type: 'ready'; port: number }
  | { type: 'arrivals'; arrivals: Arrival[] }
  | { type: 'stats'; total: number; invalid: number; duplicates: number }
  /** [idempotency token, arrival epoch ms] of every per-digit callback since the last ask. */
  | { type: 'partials'; partials: Array<[string, number]> };
