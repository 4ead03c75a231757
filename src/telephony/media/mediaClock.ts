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
/** Frames sent back to back after a late wake-up at most; a longer stall skips the rest. */
const MAX_CATCH_UP = 5;

/**
 * Streams beat on one of `PHASES` phases 5 ms apart (each added to the phase with the fewest), each on its own
 * 20 ms grid: at 200 calls a beat is 100 sends instead of 400, a burst short enough that the scheduler seldom cuts
 * it, and a stream's frames still leave every 20 ms.
 */
const PHASES = 4;
const PHASE_NS = FRAME_NS / BigInt(PHASES);

interface Phase {
  streams: Set<Paced>;
  /** When its next beat is due. */
  next: bigint;
}

export class MediaClock {
  private readonly phases: Phase[] = Array.from({ length: PHASES }, () => ({ streams: new Set<Paced>(), next: 0n }));
  private readonly phaseOf = new Map<Paced, Phase>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly now: () => bigint = process.hrtime.bigint,
    private readonly observer?: BeatObserver,
  ) {}

  get size(): number {
    return this.phaseOf.size;
  }

  add(stream: Paced): void {
    if (this.phaseOf.has(stream)) return;
    const now = this.now();
    if (this.timer === null) this.phases.forEach((phase, index) => (phase.next = now + FRAME_NS + BigInt(index) * PHASE_NS));
    const phase = this.phases.reduce((fewest, candidate) => (candidate.streams.size < fewest.streams.size ? candidate : fewest));
    // A phase left empty kept no beat: its next one is the first on its grid from now.
    if (phase.streams.size === 0 && phase.next <= now) phase.next += ((now - phase.next) / FRAME_NS + 1n) * FRAME_NS;
    phase.streams.add(stream);
    this.phaseOf.set(stream, phase);
    if (this.timer === null) this.schedule();
  }

  delete(stream: Paced): void {
    this.phaseOf.get(stream)?.streams.delete(stream);
    this.phaseOf.delete(stream);
    if (this.phaseOf.size === 0 && this.timer !== null) {
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
    if (this.timer === null || this.now() < this.due()) return;
    clearTimeout(this.timer);
    this.beat();
  }

  /** When the next phase that has streams beats. */
  private due(): bigint {
    let due = -1n;
    for (const phase of this.phases) if (phase.streams.size > 0 && (due < 0n || phase.next < due)) due = phase.next;
    return due;
  }

  private schedule(): void {
    const waitMs = Number(this.due() - this.now()) / 1e6;
    this.timer = setTimeout(() => this.beat(), Math.max(0, Math.floor(waitMs)));
  }

  private beat(): void {
    const now = this.now();
    for (const phase of this.phases) {
      if (phase.streams.size === 0 || phase.next > now) continue;
      const fell = Number((now - phase.next) / FRAME_NS) + 1;
      this.observer?.beat(Number(now - phase.next) / 1e9, Math.max(0, fell - MAX_CATCH_UP));
      phase.next += BigInt(fell) * FRAME_NS;
      const due = Math.min(fell, MAX_CATCH_UP);
      if (fell > due) for (const stream of phase.streams) stream.skip?.(fell - due);
      for (let i = 0; i < due; i++) for (const stream of phase.streams) stream.tick();
    }
    if (this.phaseOf.size > 0) this.schedule();
    else this.timer = null;
  }
}
