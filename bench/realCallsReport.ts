/**
 * The real-calls part of the report: one row per number of concurrent calls, and the minimum (200 concurrent
 * masked calls with p99 frame deviation <= 5 ms, no frame later than 20 ms, key-to-callback p99 <= 100 ms) with
 * the largest N measured that holds.
 */
import { bucketPercentileMs, type RealCallsFigures } from './scenarios/realCalls.js';
import { cpu, f, markdownTable, type Minimum } from './report.js';

export const REAL_CALLS_MINIMUM = 200;

/** The largest N measured that holds, or 0. */
export function largestHolding(runs: RealCallsFigures[]): number {
  return Math.max(0, ...runs.filter((r) => r.holds).map((r) => r.calls));
}

export function realCallsMinimums(runs: RealCallsFigures[]): Minimum[] {
  if (runs.length === 0) return [];
  const largest = largestHolding(runs);
  const at = runs.find((r) => r.calls === REAL_CALLS_MINIMUM);
  const shown = at ?? runs[0]!;
  return [
    {
      figure: `real calls: ${shown.calls} concurrent masked calls, agent-leg frames p99 deviation / late (> 20 ms); key to callback p99`,
      minimum: `${REAL_CALLS_MINIMUM} calls: <= 5 ms / 0; <= 100 ms`,
      reached: `${f(shown.frames.p99DeviationMs, 2)} ms / ${shown.frames.lateFrames}; ${f(shown.keys.p99Ms)} ms; largest N that holds: ${largest}`,
      pass: largest >= REAL_CALLS_MINIMUM,
    },
  ];
}

export function realCallsRows(runs: RealCallsFigures[]): Array<[string, string, string]> {
  return runs.map((r) => {
    const w = r.keys.byWay;
    const m = r.paytoneMetrics;
    return [
      `real calls, ${r.calls} at once`,
      `${r.failedCalls} failed to set up (${f(r.setupSeconds)} s to set up); over ${f(r.windowSeconds)} s: ${f(r.paytoneCpuPercentPerCall, 3)}% of a core per call; ` +
        `agent-leg frames p50 / p99 / max deviation from 20 ms ${f(r.frames.p50DeviationMs, 2)} / ${f(r.frames.p99DeviationMs, 2)} / ${f(r.frames.maxDeviationMs, 2)} ms, ` +
        `${r.frames.lateFrames} late of ${r.frames.frames} (latest ${f(r.frames.maxLatenessMs, 1)} ms after its slot), ${r.frames.missingFrames} missing` +
        `${r.framesTimedRaised ? '' : ' (timed at the usual priority)'}; ` +
        `waited for a CPU: paytone's main thread ${f(r.waitedForCpu.paytone, 1)} ms/s, the agents' timing thread ${f(r.waitedForCpu.agents, 1)} ms/s; ` +
        `paytone's media clock: ${m.media_beats_later_than_5ms} of ${m.media_beats} beats more than 5 ms late, ${m.media_beats_later_than_20ms} more than 20 ms, ${m.paytone_media_skipped_beats_total ?? 0} skipped; ` +
        `paytone's key path: detection p99 <= ${f(bucketPercentileMs(m, 'detection', 99))} ms, key applied to its callback answered p50 <= ${f(bucketPercentileMs(m, 'applied_to_callback', 50))} ms, p99 <= ${f(bucketPercentileMs(m, 'applied_to_callback', 99))} ms; ` +
        `key to callback p50 / p99 / max ${f(r.keys.p50Ms)} / ${f(r.keys.p99Ms)} / ${f(r.keys.maxMs)} ms over ${r.keys.typed} keys, ${r.keys.missing} missing ` +
        `(in-band p99 ${f(w['in-band'].p99Ms)}, RFC 4733 ${f(w.rfc4733.p99Ms)}, both ${f(w.both.p99Ms)} ms); ${r.holds ? 'holds' : 'does not hold'}`,
      cpu(r.cpuPercent),
    ];
  });
}

export function realCallsTable(runs: RealCallsFigures[]): string[] {
  return markdownTable(realCallsRows(runs));
}
