/**
 * The RTP of the bench's calls, both ways: the callers on one UDP socket and the agents on another, each side in a
 * worker thread of its own (streams.ts, mediaThread.ts). The agents time the frames paytone sends them as they read
 * them, so a stall of the bench's main thread (SIP, the REST calls that ask for each card) or of the callers'
 * sending does not show as paytone's lateness; and at a raised scheduling priority (mediaThread.ts), so the machine's
 * other processes delay it less.
 *
 * @example
 *   const media = await BenchMedia.open(200);
 *   media.attachCaller(7, paytoneCallerLegPort);
 *   const sentAt = await media.type(7, '4242#', ['in-band', 'rfc4733', 'both', 'in-band', 'rfc4733']);
 *   const frames = await media.timing.summary();
 */
import { Worker } from 'node:worker_threads';
import type { FrameTimingFigures } from './frameTiming.js';
import type { FromStreams, ToStreams } from './mediaThread.js';
import type { KeyWay, Side } from './streams.js';

export type { KeyWay } from './streams.js';

class StreamsThread {
  private readonly waiting = new Map<number, (value: unknown) => void>();
  private nextId = 0;

  private constructor(
    private readonly worker: Worker,
    readonly port: number,
    /** Whether the thread runs at a raised scheduling priority. */
    readonly raised: boolean,
  ) {
    worker.on('message', (message: FromStreams) => {
      if (message.op !== 'reply') return;
      this.waiting.get(message.id)?.(message.value);
      this.waiting.delete(message.id);
    });
  }

  static open(side: Side, size: number): Promise<StreamsThread> {
    const worker = new Worker(new URL('./mediaThread.js', import.meta.url), { workerData: { side, size } });
    return new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (message: FromStreams) => {
        if (message.op === 'ready') resolve(new StreamsThread(worker, message.port, message.raised));
      });
    });
  }

  tell(message: ToStreams): void {
    this.worker.postMessage(message);
  }

  ask<T>(message: ToStreams & { id: number }): Promise<T> {
    return new Promise((resolve) => {
      this.waiting.set(message.id, resolve as (value: unknown) => void);
      this.worker.postMessage(message);
    });
  }

  id(): number {
    return this.nextId++;
  }
}

export class BenchMedia {
  private attachedAgents = 0;

  /** The agents' frame timing: from `start` to `stop`, summed up by `summary`. */
  readonly timing = {
    start: () => this.agentSide.tell({ op: 'timing-start' }),
    stop: () => this.agentSide.tell({ op: 'timing-stop' }),
    summary: () => this.agentSide.ask<FrameTimingFigures>({ op: 'summary', id: this.agentSide.id() }),
  };

  private constructor(
    private readonly callerSide: StreamsThread,
    private readonly agentSide: StreamsThread,
  ) {}

  static async open(size: number): Promise<BenchMedia> {
    const [callers, agents] = await Promise.all([StreamsThread.open('callers', size), StreamsThread.open('agents', size)]);
    return new BenchMedia(callers, agents);
  }

  /** Whether the agents' thread, which times paytone's frames, got its raised scheduling priority. */
  get instrumentRaised(): boolean {
    return this.agentSide.raised;
  }

  get callerPort(): number {
    return this.callerSide.port;
  }

  get agentPort(): number {
    return this.agentSide.port;
  }

  /** Call `index`'s caller sends to paytone's caller leg at `port` from now on. */
  attachCaller(index: number, port: number): void {
    this.callerSide.tell({ op: 'attach', index, port });
  }

  /** Agent legs attached so far. */
  get agents(): number {
    return this.attachedAgents;
  }

  /** Call `index`'s agent receives from, and sends to, paytone's agent leg at `port`. */
  attachAgent(index: number, port: number): void {
    this.attachedAgents++;
    this.agentSide.tell({ op: 'attach', index, port });
  }

  /** Types `keys` on call `index`, key `i` by `ways[i]`; resolves with when each key's first packet left (epoch ms). */
  type(index: number, keys: string, ways: KeyWay[]): Promise<number[]> {
    return this.callerSide.ask({ op: 'type', id: this.callerSide.id(), index, keys, ways });
  }

  start(): void {
    this.callerSide.tell({ op: 'start' });
    this.agentSide.tell({ op: 'start' });
  }

  stop(): void {
    this.callerSide.tell({ op: 'stop' });
    this.agentSide.tell({ op: 'stop' });
  }

  async close(): Promise<void> {
    await Promise.all([this.callerSide.ask({ op: 'close', id: this.callerSide.id() }), this.agentSide.ask({ op: 'close', id: this.agentSide.id() })]);
  }
}
