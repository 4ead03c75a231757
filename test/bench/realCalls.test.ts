/**
 * The bench's real-calls part runs end to end with a few calls (`--tiny --real-calls 4`): SIP calls through paytone
 * bridged to agents, RTP both ways, keys typed as tones, as RFC 4733 events and as both, and it reports every figure
 * as a finite number. No timing is asserted here: speed is the bench's own report, not a test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const RUN = fileURLToPath(new URL('../../bench/run.js', import.meta.url));

/** Every numeric leaf of the report, by its path. */
function numbers(value: unknown, at = ''): Array<[string, unknown]> {
  if (typeof value === 'number') return [[at, value]];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => numbers(inner, at ? `${at}.${key}` : key));
}

test("the bench's real-calls part runs and reports every figure", { timeout: 180_000 }, async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-bench-real-calls-'));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [RUN, '--tiny', '--real-calls', '4', '--out', out, '--log-level', 'warn'], { timeout: 170_000 });
    const report = JSON.parse(fs.readFileSync(path.join(out, 'real-calls.json'), 'utf8'));
    const [run] = report.realCalls;
    assert.equal(run.calls, 4);
    assert.equal(run.failedCalls, 0, 'every call was set up and bridged to its agent');
    const figures = [
      'paytoneCpuPercentPerCall', 'cpuPercent.paytone', 'cpuPercent.generator', 'cpuPercent.receiver', 'setupSeconds', 'windowSeconds',
      'frames.p50DeviationMs', 'frames.p99DeviationMs', 'frames.maxDeviationMs', 'frames.lateFrames', 'frames.maxLatenessMs', 'frames.missingFrames',
      'keys.p50Ms', 'keys.p99Ms', 'keys.maxMs', 'keys.typed', 'keys.missing',
      'keys.byWay.in-band.p99Ms', 'keys.byWay.rfc4733.p99Ms', 'keys.byWay.both.p99Ms', 'waitedForCpu.paytone',
    ];
    const found = new Map(numbers(run));
    for (const figure of figures) {
      assert.ok(found.has(figure), `the report has no ${figure}`);
      assert.ok(Number.isFinite(found.get(figure)), `${figure} is ${found.get(figure)}, not a finite number`);
    }
    for (const [at, value] of found) assert.ok(Number.isFinite(value), `${at} is ${value}`);
    assert.equal(run.frames.streams, 4, "every agent leg's frames were timed");
    assert.ok(run.frames.frames > 4 * 50, 'a second and more of frames per agent leg');
    for (const way of ['in-band', 'rfc4733', 'both']) assert.ok(run.keys.byWay[way].keys > 0, `keys were typed ${way} and their callbacks came`);
    // paytone's own metrics saw the keys by transport, and the same key twice when it came both ways.
    assert.ok(run.paytoneMetrics['paytone_dtmf_keys_total{in-band}'] > 0);
    assert.ok(run.paytoneMetrics['paytone_dtmf_keys_total{rfc4733}'] > 0);
    assert.ok(run.paytoneMetrics.paytone_dtmf_repeated_reports_total > 0);
    assert.ok(run.paytoneMetrics.media_beats > 0, "paytone's media clock beats were counted");
    // paytone's part of key to callback: its detection and, from each key's change, its callback answered.
    assert.ok(run.paytoneMetrics['detection<=+Inf'] > 0, "paytone's detection latencies were read");
    assert.ok(run.paytoneMetrics['applied_to_callback<=+Inf'] > 0, "paytone's key-to-callback latencies were read");
    assert.equal(typeof run.holds, 'boolean');
    assert.equal(report.minimums.length, 1);
    assert.ok(stdout.includes('real calls, 4 at once'), 'the table has the real-calls row');
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
