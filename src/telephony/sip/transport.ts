/**
 * SIP over UDP and TCP on one address and port (RFC 3261 §18). Datagrams and stream messages come out as parsed
 * messages with the peer they came from; what does not parse is counted and dropped, never answered with a crash.
 * Responses to a TCP peer go back on its connection; a request to a TCP peer with no connection opens one.
 *
 * @example
 *   const transport = await SipTransport.listen({ host: '127.0.0.1', port: 5060 }, { message, malformed });
 *   transport.send(message, { transport: 'udp', address: '127.0.0.1', port: 5070 });
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { parseSipMessage, serializeSipMessage, SIP_LIMITS, type ParsedMessage, type SipMessage } from './message.js';
import { peerKey, type Peer } from './peer.js';
import { SipStreamFramer } from './streamFramer.js';

export interface TransportEvents {
  message(message: ParsedMessage, from: Peer): void;
  malformed(problem: string, from: Peer): void;
  /** Nothing could be sent to `peer` (TCP connection refused or closed, ICMP unreachable). */
  unreachable(peer: Peer): void;
}

/** TCP connections open at once at most, and how long an idle one is kept. */
const MAX_CONNECTIONS = 1024;
const IDLE_MS = 5 * 60_000;

export class SipTransport {
  private readonly connections = new Map<string, net.Socket>();

  private constructor(
    private readonly udp: dgram.Socket,
    private readonly tcp: net.Server,
    private readonly events: TransportEvents,
  ) {}

  /**
   * Binds UDP and TCP on `host:port`; rejects when either is taken. With port 0, UDP picks a free port and TCP
   * takes the same one, trying again with another when a TCP socket already holds it.
   */
  static async listen(address: { host: string; port: number }, events: TransportEvents): Promise<SipTransport> {
    for (let attempt = 1; ; attempt++) {
      const udp = dgram.createSocket({ type: net.isIPv6(address.host) ? 'udp6' : 'udp4', recvBufferSize: 1 << 20 });
      await bindOrClose(udp, (done) => udp.bind(address.port, address.host, done), () => udp.close());
      const tcp = net.createServer();
      try {
        await bindOrClose(tcp, (done) => tcp.listen(udp.address().port, address.host, done), () => tcp.close());
      } catch (error) {
        udp.close();
        if (address.port === 0 && attempt < 20 && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
        throw error;
      }
      const transport = new SipTransport(udp, tcp, events);
      udp.on('message', (bytes, info) => transport.receive(bytes, { transport: 'udp', address: info.address, port: info.port }));
      udp.on('error', () => undefined);
      tcp.on('connection', (socket) => transport.adopt(socket));
      tcp.maxConnections = MAX_CONNECTIONS;
      return transport;
    }
  }

  get port(): number {
    return this.udp.address().port;
  }

  send(message: SipMessage, to: Peer): void {
    const bytes = serializeSipMessage(message);
    if (to.transport === 'udp') {
      this.udp.send(bytes, to.port, to.address, (error) => {
        if (error) this.events.unreachable(to);
      });
      return;
    }
    const socket = this.connections.get(peerKey(to)) ?? this.connect(to);
    socket.write(bytes);
  }

  async close(): Promise<void> {
    for (const socket of this.connections.values()) socket.destroy();
    await Promise.all([new Promise<void>((resolve) => this.udp.close(() => resolve())), new Promise<void>((resolve) => this.tcp.close(() => resolve()))]);
  }

  private receive(bytes: Buffer, from: Peer): void {
    if (bytes.length <= 4 && bytes.every((b) => b === 0x0d || b === 0x0a || b === 0)) return; // keep-alive
    if (bytes.length > SIP_LIMITS.messageBytes) return this.events.malformed('datagram over the message limit', from);
    const parsed = parseSipMessage(bytes);
    if (parsed.ok) this.events.message(parsed.message, from);
    else this.events.malformed(parsed.problem, from);
  }

  private connect(to: Peer): net.Socket {
    const socket = net.connect({ host: to.address, port: to.port });
    this.adopt(socket, to);
    return socket;
  }

  private adopt(socket: net.Socket, known?: Peer): void {
    const peer: Peer = known ?? { transport: 'tcp', address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    const key = peerKey(peer);
    const framer = new SipStreamFramer();
    this.connections.set(key, socket);
    socket.setTimeout(IDLE_MS, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      const { messages, broken } = framer.push(chunk);
      for (const bytes of messages) this.receive(bytes, peer);
      if (broken !== null) {
        this.events.malformed(broken, peer);
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', (hadError) => {
      if (this.connections.get(key) === socket) this.connections.delete(key);
      if (hadError && known) this.events.unreachable(peer);
    });
  }
}

function bindOrClose(emitter: NodeJS.EventEmitter, bind: (done: () => void) => void, close: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      close();
      reject(error);
    };
    emitter.once('error', fail);
    bind(() => {
      emitter.off('error', fail);
      resolve();
    });
  });
}
