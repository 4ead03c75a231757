/**
 * What the outbox needs to know of a callback URL (the receiver's origin, whether the callback policy refuses it),
 * worked out once per URL: every callback of a session, and often of every session, goes to the same few URLs, and
 * parsing one for each callback cost more than the rest of the bookkeeping.
 *
 * @example
 *   const receivers = new ReceiverUrls(policy);
 *   const { origin, refusal } = receivers.of('https://app.example/pay-status');
 */
import { callbackUrlRefusal, type CallbackPolicy } from '../domain/callbackPolicy.js';
import { BoundedMemory } from '../domain/boundedMemory.js';

export interface ReceiverUrl {
  /** Callbacks in flight are counted per origin; `invalid` for a URL that does not parse. */
  origin: string;
  /** Why the policy refuses the URL, or null. */
  refusal: string | null;
}

/** URLs remembered at most, so apps with a URL per call cannot grow the memory. */
const REMEMBERED = 1000;

export class ReceiverUrls {
  private readonly known = new BoundedMemory<string, ReceiverUrl>(REMEMBERED);

  /** The policy is fixed for the outbox's life, so a URL's refusal is too. */
  constructor(private readonly policy: CallbackPolicy) {}

  of(url: string): ReceiverUrl {
    return this.known.remember(url, () => ({
      origin: URL.canParse(url) ? new URL(url).origin : 'invalid',
      refusal: callbackUrlRefusal(url, this.policy),
    }));
  }
}
