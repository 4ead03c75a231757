/**
 * The SIP and RTP settings, read from the environment at start-up like every other setting (src/config.ts):
 *
 * | variable | default | |
 * |---|---|---|
 * | `PAYTONE_SIP_LISTEN` | `127.0.0.1:5060` | SIP over UDP and TCP on this address; `off` for none |
 * | `PAYTONE_SIP_PUBLIC_ADDRESS` | the listen address | host (and port) written into Via, Contact and SDP |
 * | `PAYTONE_RTP_PORTS` | `20000-20999` | the range of RTP/RTCP port pairs, one pair per call leg |
 * | `PAYTONE_SIP_TRUST` | `127.0.0.1/32` | addresses (CIDR list) whose INVITEs are taken; others get 403 |
 * | `PAYTONE_SIP_TRUNK` | unset | `sip:host:port` that plain numbers are dialed through |
 * | `PAYTONE_DTMF_MASK` | `flat` | what an agent hears for a masked key: `flat` (one identical beep per key) or `silence` |
 *
 * Left at its default, a busy SIP port (a softphone on the same laptop) is a warning and paytone runs without
 * SIP; set explicitly, it stops start-up (`explicit`).
 *
 * @example
 *   const sip = readSipSettings((name) => env[name] || undefined, problems);
 */
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { parseHostPort, parseUri } from './sip/headers.js';
import { MASK_SOUNDS, type MaskSound } from './keypad/keyMasker.js';

export interface SipSettings {
  listen: { host: string; port: number };
  /** PAYTONE_SIP_LISTEN was set: a busy port is fatal instead of a warning. */
  explicit: boolean;
  /** Host and port for Via/Contact/SDP; the port is null to follow the listening port (useful with port 0). */
  publicAddress: { host: string; port: number | null };
  rtpPorts: { first: number; last: number };
  trust: string[];
  /** URI of the trunk for plain numbers, or null. */
  trunk: string | null;
  /** What an agent hears for a masked key. */
  dtmfMask: MaskSound;
}

export const SIP_DEFAULTS = { listen: '127.0.0.1:5060', rtpPorts: '20000-20999', trust: '127.0.0.1/32' };

/**
 * Reads the settings; what is wrong goes to `problems` (one line each, naming the variable and what is allowed).
 * Null when SIP is `off`.
 */
export function readSipSettings(text: (name: string) => string | undefined, problems: string[]): SipSettings | null {
  const listenText = text('PAYTONE_SIP_LISTEN');
  const publicText = text('PAYTONE_SIP_PUBLIC_ADDRESS');
  const rtpText = text('PAYTONE_RTP_PORTS');
  const trustText = text('PAYTONE_SIP_TRUST');
  const trunkText = text('PAYTONE_SIP_TRUNK');
  const maskText = text('PAYTONE_DTMF_MASK');
  if (maskText !== undefined && !(MASK_SOUNDS as readonly string[]).includes(maskText)) {
    problems.push(`PAYTONE_DTMF_MASK must be flat (the agent hears one identical short beep per key) or silence; got "${maskText}".`);
  }
  if (listenText === 'off') return null;

  const listen = parseListen(listenText ?? SIP_DEFAULTS.listen);
  if (listen === null) problems.push(`PAYTONE_SIP_LISTEN must be an IP address and port such as 127.0.0.1:5060, 0.0.0.0:5060 or [::1]:5060 (port 0 picks a free one), or off; got "${listenText}".`);
  let publicAddress: SipSettings['publicAddress'] = { host: listen?.host ?? '127.0.0.1', port: null };
  if (publicText !== undefined) {
    const parsed = /:\d+$/.test(publicText) || publicText.startsWith('[') ? parseHostPort(publicText) : parseHostPort(publicText.includes(':') ? `[${publicText}]` : publicText);
    if (parsed === null || (!net.isIP(parsed.host) && parsed.host.includes(':'))) problems.push(`PAYTONE_SIP_PUBLIC_ADDRESS must be a host or IP address, optionally with a port (203.0.113.5 or 203.0.113.5:5060); got "${publicText}".`);
    else publicAddress = parsed;
  } else if (listen !== null && (listen.host === '0.0.0.0' || listen.host === '::')) {
    problems.push(`PAYTONE_SIP_PUBLIC_ADDRESS must be set when PAYTONE_SIP_LISTEN listens on every address (${listen.host}): peers need one address to send SIP and RTP to.`);
  }
  const rtpPorts = parseRtpPorts(rtpText ?? SIP_DEFAULTS.rtpPorts);
  if (rtpPorts === null) problems.push(`PAYTONE_RTP_PORTS must be a range "first-last" within 1024-65535 holding at least one even/odd pair, such as 20000-20999; got "${rtpText}".`);
  const trust = (trustText ?? SIP_DEFAULTS.trust).split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  const badTrust = trust.find((entry) => !ipaddr.isValid(entry) && !ipaddr.isValidCIDR(entry));
  if (badTrust !== undefined) problems.push(`PAYTONE_SIP_TRUST must be a comma-separated list of IP addresses or CIDR networks (10.0.0.0/8, 192.0.2.7); "${badTrust}" is neither.`);
  const trunk = trunkText === undefined ? null : trunkText;
  const trunkUri = trunk === null ? null : parseUri(trunk);
  if (trunk !== null && (trunkUri === null || trunkUri.scheme === 'tel' || trunkUri.user !== null)) {
    problems.push(`PAYTONE_SIP_TRUNK must be a SIP URI naming the trunk's host and port without a user, such as sip:203.0.113.20:5060 or sip:trunk.example.com;transport=tcp; got "${trunk}".`);
  }
  return {
    listen: listen ?? { host: '127.0.0.1', port: 5060 },
    explicit: listenText !== undefined,
    publicAddress,
    rtpPorts: rtpPorts ?? { first: 20000, last: 20999 },
    trust,
    trunk,
    dtmfMask: maskText === 'silence' ? 'silence' : 'flat',
  };
}

function parseListen(text: string): { host: string; port: number } | null {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(text);
  if (!match) return null;
  const host = match[1] ?? match[2]!;
  const port = Number(match[3]);
  if (net.isIP(host) === 0 || port > 65535) return null;
  return { host, port };
}

function parseRtpPorts(text: string): { first: number; last: number } | null {
  const match = /^(\d{4,5})-(\d{4,5})$/.exec(text);
  if (!match) return null;
  const first = Number(match[1]);
  const last = Number(match[2]);
  if (first < 1024 || last > 65535 || last <= first) return null;
  // At least one even port with its odd neighbour inside the range.
  const even = first + (first % 2);
  return even + 1 <= last ? { first, last } : null;
}

/**
 * The check for PAYTONE_SIP_TRUST: is an address inside one of the networks (read once, checked per request).
 *
 * @example
 *   trustedBy(['10.0.0.0/8'])('10.1.2.3') // true
 */
export function trustedBy(networks: string[]): (address: string) => boolean {
  const ranges = networks.map((entry) => {
    if (ipaddr.isValidCIDR(entry)) return ipaddr.parseCIDR(entry);
    const one = ipaddr.process(entry);
    return [one, one.kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number];
  });
  return (address) => {
    if (!ipaddr.isValid(address)) return false;
    // ::ffff:10.0.0.1 (an IPv4 peer on a dual-stack socket) is checked as 10.0.0.1.
    const candidate = ipaddr.process(address);
    return ranges.some(([range, bits]) => candidate.kind() === range.kind() && candidate.match(range, bits));
  };
}
