/**
 * The delivery-time half of the callback policy: a DNS lookup for the callback connection that refuses a host
 * name resolving to an address the policy does not allow (a public-looking name pointed at 127.0.0.1, or at the
 * cloud metadata address). The check is made on the very addresses the socket then connects to, so a name that
 * answers differently a second time (DNS rebinding) gains nothing.
 *
 * @example
 *   const agent = new Agent({ connect: { lookup: guardedLookup(policy) } });
 */
import dns from 'node:dns';
import type { LookupAddress, LookupAllOptions, LookupOptions } from 'node:dns';
import { addressRefusal, type CallbackPolicy } from '../domain/callbackPolicy.js';

/** The error code of a refused address; delivery treats it as final, not as a network failure to retry. */
export const CALLBACK_ADDRESS_REFUSED = 'ECALLBACKREFUSED';

export class CallbackAddressRefused extends Error {
  readonly code = CALLBACK_ADDRESS_REFUSED;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for `net.connect` with the same contract as `dns.lookup` (one address, or all with `all: true`). */
export function guardedLookup(policy: CallbackPolicy) {
  return function lookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
    dns.lookup(hostname, { ...options, all: true } as LookupAllOptions, (err, addresses) => {
      if (err) return callback(err, []);
      for (const { address } of addresses) {
        const refusal = addressRefusal(address, hostname, policy);
        if (refusal !== null) return callback(new CallbackAddressRefused(refusal.replace(/^points at/, 'resolves to')), []);
      }
      if (options.all) return callback(null, addresses);
      const [first] = addresses;
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}
