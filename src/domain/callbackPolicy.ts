/**
 * Where paytone may send status callbacks. A callback URL comes from whoever holds an account's credentials,
 * so without a policy it is a way to make the server POST into its own network (a cloud metadata address, an
 * admin port on localhost): server-side request forgery.
 *
 * - `any` (the sandbox default): any http or https URL, private and loopback addresses included, because a
 *   developer's receiver usually runs on the same machine.
 * - `public` (production): https only, and only to public unicast addresses. Loopback, private (RFC 1918,
 *   unique-local), link-local (cloud metadata), carrier-grade NAT, multicast, reserved and unspecified addresses
 *   are refused, IPv4-mapped and IPv4-compatible IPv6 forms included. Hosts and networks on the allow list are
 *   trusted: they may be private, and may use plain http (an internal receiver behind your own network).
 *
 * This module is pure: it judges a URL's literal address at request time (`callbackUrlRefusal`) and each address a
 * host name resolved to at delivery time (`addressRefusal`); the DNS lookup itself happens in the callbacks layer.
 *
 * @example
 *   const policy = parseCallbackPolicy('public', '10.20.0.0/16, receiver.internal');
 *   callbackUrlRefusal('https://127.0.0.1/pay', policy.policy!); // 'points at a loopback address'
 *   addressRefusal('10.20.1.7', 'api.example.com', policy.policy!); // null: an allowed network
 */
import ipaddr from 'ipaddr.js';
import { payError } from './errors.js';
import { shownValue } from './form.js';

export const CALLBACK_POLICIES = ['any', 'public'] as const;
export type CallbackPolicyMode = (typeof CALLBACK_POLICIES)[number];

export interface CallbackPolicy {
  mode: CallbackPolicyMode;
  /** Host names (lower case) trusted whatever they resolve to. */
  allowedHosts: readonly string[];
  /** Networks trusted as they are, e.g. an internal 10.20.0.0/16. */
  allowedNetworks: ReadonlyArray<[ipaddr.IPv4 | ipaddr.IPv6, number]>;
}

export const ANY_CALLBACK: CallbackPolicy = { mode: 'any', allowedHosts: [], allowedNetworks: [] };

/** A policy as plain data (networks written out), for a worker thread: ipaddr.js objects do not cross threads. */
export interface PortableCallbackPolicy {
  mode: CallbackPolicyMode;
  allowedHosts: readonly string[];
  allowedNetworks: ReadonlyArray<[address: string, bits: number]>;
}

export function portableCallbackPolicy(policy: CallbackPolicy): PortableCallbackPolicy {
  return { mode: policy.mode, allowedHosts: policy.allowedHosts, allowedNetworks: policy.allowedNetworks.map(([network, bits]) => [network.toString(), bits]) };
}

export function callbackPolicyFrom(portable: PortableCallbackPolicy): CallbackPolicy {
  return { mode: portable.mode, allowedHosts: portable.allowedHosts, allowedNetworks: portable.allowedNetworks.map(([address, bits]) => [ipaddr.parse(address), bits]) };
}

/** What each ipaddr.js range is called in an error message; only `unicast` is a public address. */
const RANGE_NAMES: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  uniqueLocal: 'a private address',
  linkLocal: 'a link-local address',
  carrierGradeNat: 'a carrier-grade NAT address',
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
};

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/**
 * Reads `PAYTONE_CALLBACK_POLICY` and `PAYTONE_CALLBACK_ALLOW` (a comma-separated list of host names, addresses and
 * CIDR networks). Returns the policy, or the problems, one sentence each.
 *
 * @example
 *   parseCallbackPolicy('public', '').policy?.mode // 'public'
 *   parseCallbackPolicy('open', '').problems       // ['PAYTONE_CALLBACK_POLICY must be any or public; got "open".']
 */
export function parseCallbackPolicy(mode: string | undefined, allow: string | undefined): { policy?: CallbackPolicy; problems: string[] } {
  const problems: string[] = [];
  const chosen = (mode || 'any') as CallbackPolicyMode;
  if (!CALLBACK_POLICIES.includes(chosen)) {
    problems.push(`PAYTONE_CALLBACK_POLICY must be ${CALLBACK_POLICIES.join(' or ')}; got ${JSON.stringify(mode)}.`);
  }
  const allowedHosts: string[] = [];
  const allowedNetworks: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [];
  for (const entry of (allow ?? '').split(',').map((e) => e.trim().toLowerCase()).filter((e) => e !== '')) {
    if (ipaddr.isValidCIDR(entry)) allowedNetworks.push(ipaddr.parseCIDR(entry));
    else if (ipaddr.isValid(entry)) {
      const address = ipaddr.parse(entry);
      allowedNetworks.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else if (HOST_NAME.test(entry)) allowedHosts.push(entry);
    else problems.push(`PAYTONE_CALLBACK_ALLOW entry ${JSON.stringify(entry)} is not a host name, an IP address or a CIDR network such as 10.0.0.0/8.`);
  }
  return problems.length > 0 ? { problems } : { policy: { mode: chosen, allowedHosts, allowedNetworks }, problems };
}

/**
 * Why a callback URL is refused before anything is stored, or null when it may be used. Host names are judged
 * again at delivery, against what they resolve to.
 *
 * @example
 *   callbackUrlRefusal('http://example.com/pay', publicPolicy) // 'uses plain http'
 */
export function callbackUrlRefusal(url: string, policy: CallbackPolicy): string | null {
  if (!URL.canParse(url)) return 'is not a valid URL';
  const { protocol, hostname } = new URL(url);
  if (protocol !== 'http:' && protocol !== 'https:') return `is a ${protocol.replace(/:$/, '')} URL, and only http and https are called back`;
  if (policy.mode === 'any') return null;
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const literal = ipaddr.isValid(host) ? ipaddr.process(host) : null;
  const trusted = literal === null ? isAllowedHost(host, policy) : inAllowedNetwork(literal, policy);
  if (trusted) return null;
  if (protocol !== 'https:') return 'uses plain http';
  return literal === null ? null : rangeRefusal(literal);
}

/**
 * Refuses (64020, naming the parameter) a callback URL the policy does not allow.
 *
 * @example
 *   assertCallbackAllowed('StatusCallback', 'https://10.0.0.7/pay', publicPolicy); // throws 64020
 */
export function assertCallbackAllowed(parameter: string, url: string, policy: CallbackPolicy): void {
  const refusal = urlPolicyRefusal(parameter, url, policy);
  if (refusal !== null) throw payError(64020, refusal);
}

/**
 * What to tell a user about a URL the policy refuses, naming the parameter it was given as, or null when allowed.
 *
 * @example
 *   urlPolicyRefusal('EndpointUrl', 'http://127.0.0.1:9000/pay', publicPolicy) // 'EndpointUrl "http://..." is refused: it uses plain http. ...'
 */
export function urlPolicyRefusal(parameter: string, url: string, policy: CallbackPolicy): string | null {
  const refusal = callbackUrlRefusal(url, policy);
  if (refusal === null) return null;
  return (
    `${parameter} ${shownValue(url)} is refused: it ${refusal}. This server calls back public https addresses only ` +
    '(PAYTONE_CALLBACK_POLICY=public); give a public https URL, or have the operator add the host to PAYTONE_CALLBACK_ALLOW.'
  );
}

/**
 * Why a callback may not go to `address` (one that `hostname` resolved to), or null when it may.
 *
 * @example
 *   addressRefusal('169.254.169.254', 'metadata.example', publicPolicy) // 'points at a link-local address'
 */
export function addressRefusal(address: string, hostname: string, policy: CallbackPolicy): string | null {
  if (policy.mode === 'any' || isAllowedHost(hostname.toLowerCase(), policy)) return null;
  if (!ipaddr.isValid(address)) return 'resolves to an address that could not be read';
  const parsed = ipaddr.process(address);
  return inAllowedNetwork(parsed, policy) ? null : rangeRefusal(parsed);
}

/** Whether the policy trusts this host name as such, so that neither its addresses nor its scheme are judged. */
export function isAllowedHost(hostname: string, policy: CallbackPolicy): boolean {
  return policy.allowedHosts.includes(hostname);
}

function inAllowedNetwork(address: ipaddr.IPv4 | ipaddr.IPv6, policy: CallbackPolicy): boolean {
  return policy.allowedNetworks.some(([network, bits]) => network.kind() === address.kind() && address.match(network, bits));
}

/** `::/96`: the deprecated IPv4-compatible IPv6 form (`::127.0.0.1`), which ipaddr.js calls unicast. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

function rangeRefusal(address: ipaddr.IPv4 | ipaddr.IPv6): string | null {
  const range = address.range();
  // No real peer uses the form, and a host may route it to the IPv4 address it embeds: refused whatever that is.
  if (range === 'unicast' && address.kind() === 'ipv6' && address.match(IPV4_COMPATIBLE)) return 'points at an IPv4-compatible IPv6 address (::/96)';
  if (range === 'unicast') return null;
  return `points at ${RANGE_NAMES[range] ?? `a special-purpose address (${range})`}`;
}
