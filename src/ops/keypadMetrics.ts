/**
 * The caller's keypad on real calls, as Prometheus sees it: keys by the transport that carried them first, reports
 * that were a key another transport already carried, the in-band detector's rejections, how long after its start
 * each key was known (detection latency, by transport), and the spans the masker took out of the agent's audio.
 *
 * PCI: labels are the transport only (`rfc4733`, `sip-info`, `in-band`); no key, no call, nothing a caller typed.
 *
 * @example
 *   const keypadMetrics = new KeypadMetrics(metrics.registry);
 *   new CallKeypad(callSid, callerKeys, undefined, keypadMetrics);
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { KeyTransport } from '../telephony/callerKeys.js';
import type { KeypadObserver } from '../telephony/keypad/callKeypad.js';

const TRANSPORTS: KeyTransport[] = ['rfc4733', 'sip-info', 'in-band'];

export class KeypadMetrics implements KeypadObserver {
  private readonly keys: Counter<'transport'>;
  private readonly detection: Histogram<'transport'>;
  private readonly repeats: Counter;
  private readonly rejections: Counter;
  private readonly maskedSpan: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    this.keys = new Counter({
      name: 'paytone_dtmf_keys_total',
      help: 'Keys the callers of real calls typed, by the transport that carried each first (rfc4733, sip-info, in-band); a key carried twice counts once.',
      labelNames: ['transport'],
      registers,
    });
    this.detection = new Histogram({
      name: 'paytone_dtmf_detection_seconds',
      help: "From a key's start on the caller's media timeline to paytone knowing it, by transport (in-band: the detector's two agreeing blocks).",
      labelNames: ['transport'],
      buckets: [0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 0.5, 1],
      registers,
    });
    // Zero from the start, so a dashboard sees every transport before its first key.
    for (const transport of TRANSPORTS) this.keys.inc({ transport }, 0);
    this.repeats = new Counter({
      name: 'paytone_dtmf_repeated_reports_total',
      help: 'Reports of a key that another transport had already carried (a caller or gateway sending events and tones both).',
      registers,
    });
    this.rejections = new Counter({
      name: 'paytone_dtmf_detector_rejections_total',
      help: 'Tones the in-band detector saw in some blocks but never confirmed as a key (too short, or not one key throughout).',
      registers,
    });
    this.maskedSpan = new Histogram({
      name: 'paytone_dtmf_masked_span_seconds',
      help: "How much of the agent's audio each masked key replaced (step-back before the tone, the tone, the tail after it); its count is the keys masked.",
      buckets: [0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2],
      registers,
    });
  }

  keyCounted(transport: KeyTransport, detectionSeconds: number): void {
    this.keys.inc({ transport });
    this.detection.observe({ transport }, detectionSeconds);
  }

  repeated(): void {
    this.repeats.inc();
  }

  rejected(): void {
    this.rejections.inc();
  }

  masked(spanSeconds: number): void {
    this.maskedSpan.observe(spanSeconds);
  }
}
