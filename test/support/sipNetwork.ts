/**
 * User agents wired to each other in memory: every message is written to bytes and parsed back on its way, each
 * is kept in `sent` for assertions, and a test may drop messages to play a lossy network. Delivery waits for the
 * current job to finish, as a socket would; `settle()` lets everything in flight arrive.
 *
 * @example
 *   const net = new SipNetwork(clock);
 *   const alice = net.agent('10.0.0.1', 5060, { onInvite: (leg) => leg.ring() });
 */
import { parseSipMessage, serializeSipMessage, type ParsedMessage, type SipRequest, type SipResponse } from '../../src/telephony/sip/message.js';
import type { Peer } from '../../src/telephony/sip/peer.js';
import { SipUserAgent, type UserAgentOptions } from '../../src/telephony/sip/userAgent.js';
import type { FakeClock } from './fakeClock.js';

export interface Sent {
  from: string;
  to: Peer;
  message: ParsedMessage;
  at: number;
}

export class SipNetwork {
  readonly sent: Sent[] = [];
  private readonly agents = new Map<string, SipUserAgent>();
  /** Return true to lose a message on its way. */
  drop: (message: ParsedMessage, from: string) => boolean = () => false;

  constructor(private readonly clock: FakeClock) {}

  agent(host: string, port: number, options: Partial<UserAgentOptions> = {}): SipUserAgent {
    const from = `${host}:${port}`;
    const agent = new SipUserAgent({
      clock: this.clock,
      self: { host, port },
      isTrusted: () => true,
      onInvite: () => undefined,
      ...options,
      send: (message: SipRequest | SipResponse, to: Peer) => {
        const parsed = parseSipMessage(serializeSipMessage(message));
        if (!parsed.ok) throw new Error(`sent a message that does not parse: ${parsed.problem}`);
        this.sent.push({ from, to, message: parsed.message, at: this.clock.now() });
        if (this.drop(parsed.message, from)) return;
        const target = this.agents.get(`${to.address}:${to.port}`);
        setImmediate(() => target?.receive(parsed.message, { transport: to.transport, address: host, port }));
      },
    });
    this.agents.set(from, agent);
    return agent;
  }

  /** Delivers everything in flight (and what that causes), without moving the clock. */
  async settle(): Promise<void> {
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  }

  /** Moves the clock in steps, letting messages arrive between them. */
  async advance(ms: number, step = 100): Promise<void> {
    for (let done = 0; done < ms; done += step) {
      this.clock.advance(Math.min(step, ms - done));
      await this.settle();
    }
  }

  /** Summaries like `INVITE`, `100`, `ACK` of what `from` sent, in order. */
  said(from: string): string[] {
    return this.sent.filter((s) => s.from === from).map((s) => (s.message.kind === 'request' ? s.message.method : String(s.message.status)));
  }

  /** When each copy of a message was sent (ms on the fake clock). */
  times(from: string, what: string): number[] {
    return this.sent.filter((s) => s.from === from && (s.message.kind === 'request' ? s.message.method : String(s.message.status)) === what).map((s) => s.at);
  }
}
