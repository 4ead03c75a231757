/**
 * The media clock as Prometheus sees it: how late each 20 ms beat that sends every call leg's next RTP packet woke
 * up, and how many beats a stall made it skip. A beat more than a frame late means the agents got late or missing
 * audio: the process is short of CPU (or starved by other work on the machine), whatever its request latency says.
 *
 * @example
 *   const sip = await SipService.start(config.sip, log, { beats: new MediaClockMetrics(metrics.registry) });
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { BeatObserver } from '../telephony/media/mediaClock.js';

export class MediaClockMetrics implements BeatObserver {
  private readonly lateness: Histogram;
  private readonly skipped: Counter;

  constructor(registry: Registry) {
    this.lateness = new Histogram({
      name: 'paytone_media_beat_lateness_seconds',
      help: 'How late each 20 ms beat of the media clock (one RTP packet per call leg) woke up after its deadline.',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5],
      registers: [registry],
    });
    this.skipped = new Counter({
      name: 'paytone_media_skipped_beats_total',
      help: 'Beats a stall of the media clock skipped (longer than its 100 ms catch-up): 20 ms of audio not sent on every leg, each.',
      registers: [registry],
    });
  }

  beat(latenessSeconds: number, skipped: number): void {
    this.lateness.observe(latenessSeconds);
    if (skipped > 0) this.skipped.inc(skipped);
  }
}
