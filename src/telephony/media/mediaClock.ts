/**
 * The 20 ms beat every outgoing RTP stream is sent on: one timer for the whole process, its deadlines counted
 * from a monotonic clock (`process.hrtime`), so a late wake-up never shifts the beat: the frames that fell due
 * meanwhile are sent at once, and after a stall of more than a few frames the beat starts again from now instead
 * of sending a burst.
 *
 * @example
 *   mediaClock.add(stream);     // stream.tick() every 20 ms
 *   mediaClock.delete(stream);
 */

export interface Paced {
  tick(): void;
}

export const FRAME_MS = 20;
const FRAME_NS = BigInt(FRAME_MS * 1_000_000);
/** Frames sent back to back after a late wake-up at most; a longer stall restarts the beat. */
const MAX_CATCH_UP = 5;

export class MediaClock {
  private readonly streams = new Set<Paced>();
  private next = 0n;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly now: () => bigint = process.hrtime.bigint) {}

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

  private schedule(): void {
    const waitMs = Number(this.next - this.now()) / 1e6;
    this.timer = setTimeout(() => this.beat(), Math.max(0, Math.floor(waitMs)));
  }

  private beat(): void {
    let due = 0;
    const now = this.now();
    while (this.next <= now && due < MAX_CATCH_UP) {
      due++;
      this.next += FRAME_NS;
    }
    if (this.next <= now) this.next = now + FRAME_NS;
    for (let i = 0; i < due; i++) for (const stream of this.streams) stream.tick();
    if (this.streams.size > 0) this.schedule();
    else this.timer = null;
  }
}
