/**
 * The 20 ms beat every outgoing RTP stream is sent on: one timer for the whole process, its deadlines counted
 * from a monotonic clock (`process.hrtime`), so a late wake-up never shifts the beat: the frames that fell due
 * meanwhile are sent at once, up to `MAX_CATCH_UP`; after a longer stall the frames beyond it are skipped, not sent
 * as a burst, and each stream is told (`skip`) so its RTP timestamps jump over them and stay on the wall clock. (A
 * beat that restarted from "now" left every stream's timestamps behind by the stall, for the rest of the call: the
 * agent's jitter buffer then drifts, and the bench saw frames seconds after their slot.)
 *
 * @example
 *   mediaClock.add(stream);     // stream.tick() every 20 ms
 *   mediaClock.delete(stream);
 */

export interface Paced {
  tick(): void;
  /** `frames` beats passed with nothing sent (a stall longer than the catch-up). */
  skip?(frames: number): void;
}

/** What an operator's metrics learn of each beat: how late it woke up, and how many beats a stall skipped. */
export interface BeatObserver {
  beat(latenessSeconds: number, skipped: number): void;
}

export const FRAME_MS = 20;
const FRAME_NS = BigInt(FRAME_MS * 1_000_000);
/** Frames sent back to back after a late wake-up at most; a longer stall restarts the beat. */
const MAX_CATCH_UP = 5;

export class MediaClock {
  private readonly streams = new Set<Paced>();
  private next = 0n;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly now: () => bigint = process.hrtime.bigint,
    private readonly observer?: BeatObserver,
  ) {}

  get size(): number {
    return this.streams.size;
  }

  add(stream: Paced): void {
    this.streams.add(stream);
    if (this.timer === null) {
      this.next = this.now() + FRAME_NS;
      this.schedule();
    }
  }

  delete(stream: Paced): void {
    this.streams.delete(stream);
    if (this.streams.size === 0 && this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /**
   * Sends the beat now if it is due, without waiting for its timer: the receive path calls this as packets arrive.
   * A process that was not scheduled for a while wakes up to a backlog of datagrams on every leg, and Node reads
   * them all before it runs a timer again; checking the deadline between them keeps the beat on time meanwhile.
   */
  poll(): void {
    if (this.timer === null || this.now() < this.next) return;
    clearTimeout(this.timer);
    this.beat();
  }

  private schedule(): void {
    const waitMs = Number(this.next - this.now()) / 1e6;
    this.timer = setTimeout(() => this.beat(), Math.max(0, Math.floor(waitMs)));
  }

  private beat(): void {
    const now = this.now();
    const fell = this.next <= now ? Number((now - this.next) / FRAME_NS) + 1 : 0;
    if (fell > 0) this.observer?.beat(Number(now - this.next) / 1e9, Math.max(0, fell - MAX_CATCH_UP));
    this.next += BigInt(fell) * FRAME_NS;
    const due = Math.min(fell, MAX_CATCH_UP);
    if (fell > due) for (const stream of this.streams) stream.skip?.(fell - due);
    for (let i = 0; i < due; i++) for (const stream of this.streams) stream.tick();
    if (this.streams.size > 0) this.schedule();
    else this.timer = null;
  }
}
