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

/** A card-number callback: the session, how many digits its masked number shows, whether the field goes on. */
export type CardCallback = [sid: string, digits: number, partial: boolean, at: number];

export type ReceiverRequest = { type: 'stats' } | { type: 'partials' } | { type: 'cards' } | { type: 'reset' };

export type ReceiverReply =
  | { type: 'ready'; port: number }
  | { type: 'arrivals'; arrivals: Arrival[] }
  | { type: 'stats'; total: number; invalid: number; duplicates: number }
  /** [idempotency token, arrival epoch ms] of every per-digit callback since the last ask. */
  | { type: 'partials'; partials: Array<[string, number]> }
  /** Every card-number callback since the last ask (the real-calls part matches them to the keys it typed). */
  | { type: 'cards'; cards: CardCallback[] };
