/**
 * Where a SIP URI points: its host (looked up when it is a name; RFC 3263's SRV and NAPTR steps are not taken, a
 * trunk or agent is named by address or A record), its port (5060 when none) and its transport (`;transport=tcp`,
 * else UDP).
 *
 * @example
 *   await resolvePeer(parseUri('sip:agent@127.0.0.1:5070;transport=tcp')) // { transport: 'tcp', address: '127.0.0.1', port: 5070 }
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import type { SipUri } from './headers.js';
import type { Peer } from './peer.js';

export async function resolvePeer(uri: SipUri | null): Promise<Peer> {
  if (uri === null || uri.scheme === 'tel' || uri.host === '') throw new Error('not a SIP URI with a host');
  const transport = uri.params.get('transport')?.toLowerCase() === 'tcp' ? 'tcp' : 'udp';
  const address = net.isIP(uri.host) ? uri.host : (await lookup(uri.host, { family: 4 })).address;
  return { transport, address, port: uri.port ?? 5060 };
}
