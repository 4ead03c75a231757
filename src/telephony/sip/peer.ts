/**
 * Where a SIP message comes from or goes to, and where a response to a request goes (RFC 3261 §18.2.2 with
 * RFC 3581 `rport`): over TCP, back on the connection the request came on; over UDP, to the address it came from,
 * on the `rport` it came from when the client asked for that, else on the port its Via names.
 *
 * @example
 *   stampVia(request, { transport: 'udp', address: '192.0.2.7', port: 40123 }); // top Via gets received= and rport=
 */
import { formatVia, type Via } from './headers.js';
import type { Parsed, SipRequest } from './message.js';

export interface Peer {
  transport: 'udp' | 'tcp';
  address: string;
  port: number;
}

export function peerKey(peer: Peer): string {
  return `${peer.transport}:${peer.address}:${peer.port}`;
}

/** Records on the request's top Via where it really came from (`received`, `rport`), as its response must echo. */
export function stampVia(request: Parsed<SipRequest>, source: Peer): void {
  const top = request.core.via[0]!;
  if (top.host !== source.address) top.params.set('received', source.address);
  if (top.params.has('rport')) top.params.set('rport', String(source.port));
  const values = request.headers.all('via');
  request.headers.set('via', formatVia(top), ...values.slice(1));
}

/** Where the response to a request that came from `source` with top Via `via` is sent. */
export function responsePeer(via: Via, source: Peer): Peer {
  if (source.transport === 'tcp') return source;
  const rport = via.params.get('rport');
  const port = rport !== undefined && rport !== null ? source.port : (via.port ?? 5060);
  return { transport: 'udp', address: source.address, port };
}
