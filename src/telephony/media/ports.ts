/**
 * RTP port pairs from PAYTONE_RTP_PORTS: an even port for RTP and the odd one above it for RTCP (RFC 3550 §11),
 * one pair per call leg, bound on the SIP listen host. A port some other program holds is skipped; a pair goes
 * back to the range when its leg ends. A crash frees every pair with the process (the sockets go with it).
 *
 * @example
 *   const pool = new RtpPortPool({ first: 20000, last: 20999 }, '127.0.0.1');
 *   const pair = await pool.open();  // pair.port is even
 *   pool.release(pair);
 */
import dgram from 'node:dgram';
import net from 'node:net';

export interface RtpPortRange {
  first: number;
  last: number;
}

export interface RtpPorts {
  port: number;
  rtp: dgram.Socket;
  rtcp: dgram.Socket;
}

export class NoFreePortError extends Error {}

export class RtpPortPool {
  private readonly inUse = new Set<number>();
  private cursor: number;

  constructor(
    private readonly range: RtpPortRange,
    private readonly host: string,
  ) {
    this.cursor = range.first + (range.first % 2);
  }

  get used(): number {
    return this.inUse.size;
  }

  /** How many pairs the range holds. */
  get size(): number {
    const first = this.range.first + (this.range.first % 2);
    return Math.max(0, Math.floor((this.range.last - first - 1) / 2) + 1);
  }

  async open(): Promise<RtpPorts> {
    for (let tried = 0; tried < this.size; tried++) {
      const port = this.cursor;
      this.cursor = port + 2 + 1 > this.range.last ? this.range.first + (this.range.first % 2) : port + 2;
      if (this.inUse.has(port)) continue;
      this.inUse.add(port);
      const rtp = await this.bind(port);
      const rtcp = rtp && (await this.bind(port + 1));
      if (rtp && rtcp) return { port, rtp, rtcp };
      rtp?.close();
      this.inUse.delete(port);
    }
    throw new NoFreePortError(`no free RTP port pair in ${this.range.first}-${this.range.last} (${this.inUse.size} in use by calls)`);
  }

  release(ports: RtpPorts): void {
    if (!this.inUse.delete(ports.port)) return;
    ports.rtp.close();
    ports.rtcp.close();
  }

  private bind(port: number): Promise<dgram.Socket | null> {
    const socket = dgram.createSocket(net.isIPv6(this.host) ? 'udp6' : 'udp4');
    return new Promise((resolve) => {
      socket.once('error', () => {
        socket.close();
        resolve(null);
      });
      socket.bind(port, this.host, () => {
        socket.removeAllListeners('error');
        socket.on('error', () => undefined);
        resolve(socket);
      });
    });
  }
}
