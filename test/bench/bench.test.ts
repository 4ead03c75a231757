/**
 * The bench runs end to end in its tiny size and reports every figure as a finite number, for one embedded process
 * and (`--cluster 2`) for two processes on a fresh PostgreSQL database. No timing is asserted here: speed is the
 * bench's own report, not a test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { POSTGRES_URL, postgresForTests } from '../support/postgres.js';

const RUN = fileURLToPath(new URL('../../bench/run.js', import.meta.url));

/** Every numeric leaf of the report, by its path. */
function numbers(value: unknown, at = ''): Array<[string, unknown]> {
  if (typeof value === 'number') return [[at, value]];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => numbers(inner, at ? `${at}.${key}` : key));
}

const pg = await postgresForTests();

test('the bench runs and reports every figure', { timeout: 420_000 }, async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-bench-smoke-'));
  const cluster = pg.skip ? [] : ['--cluster', '2', '--postgres', POSTGRES_URL];
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [RUN, '--tiny', ...cluster, '--out', out, '--log-level', 'warn'], { timeout: 400_000 });
    const report = JSON.parse(fs.readFileSync(path.join(out, pg.skip ? 'tiny.json' : 'tiny-cluster-2.json'), 'utf8'));

    const figures = [
      'create.bare.requestsPerSecond', 'create.bare.p50Ms', 'create.bare.p99Ms',
      'create.paytone.requestsPerSecond', 'create.paytone.p50Ms', 'create.paytone.p99Ms', 'create.ratioToBare',
      'create.warmup.bare.count', 'create.warmup.bare.cpuMsPerRound.0', 'create.warmup.paytone.count', 'create.warmup.paytone.cpuMsPerRound.0',
      'sessions.sessionsPerSecond', 'sessions.p50Ms', 'sessions.p99Ms', 'sessions.warmup.count', 'sessions.warmup.cpuMsPerRound.0',
      'keypress.p50Ms', 'keypress.p99Ms', 'keypress.keypressesPerSecond',
      'memory.residentMb', 'memory.perSessionKb',
      'create.paytone.cpuPercent.paytone', 'create.paytone.cpuPercent.generator', 'create.paytone.cpuPercent.receiver',
      'sessions.cpuPercent.paytone', 'keypress.cpuPercent.paytone',
      'create.cpuMultipleOfBare', 'keypad.wholePhaseKeypressesPerSecond', 'keypad.p99Ms',
    ];
    const found = new Map(numbers(report));
    for (const figure of figures) {
      assert.ok(found.has(figure), `the report has no ${figure}`);
      assert.ok(Number.isFinite(found.get(figure)), `${figure} is ${found.get(figure)}, not a finite number`);
    }
    for (const [at, value] of found) assert.ok(Number.isFinite(value), `${at} is ${value}`);

    // Every session of the tiny run completed, with every callback received and correctly signed.
    assert.equal(report.sessions.failed, 0);
    assert.ok(report.sessions.sessions > 0);
    assert.equal(report.callbacks.received, report.callbacks.queued);
    assert.equal(report.callbacks.invalidSignatures, 0);
    assert.equal(report.keypress.missing, 0);
    assert.equal(report.minimums.length, 4);
    // The real-calls part ran too (its own test, realCalls.test.ts, checks each of its figures).
    assert.equal(report.realCalls.length, 1);
    assert.equal(report.realCalls[0].failedCalls, 0);
    assert.equal(report.realCallsMinimums.length, 1);

    if (!pg.skip) {
      // Two processes on PostgreSQL: the same figures, every callback and key, and what each operation cost the database.
      const [two] = report.clusters;
      assert.equal(two.processes, 2);
      for (const figure of figures) assert.ok(Number.isFinite(new Map(numbers(two)).get(figure)), `the cluster's ${figure} is a finite number`);
      assert.equal(two.sessions.failed, 0);
      assert.equal(two.callbacks.received, two.callbacks.queued, 'every callback the cluster queued arrived');
      assert.equal(two.callbacks.invalidSignatures, 0);
      assert.equal(two.keypad.missing + two.keypress.missing, 0);
      for (const phase of [two.create.paytone, two.sessions, two.keypad, two.keypress]) {
        assert.ok(phase.database.roundTrips > 0 && phase.database.statements >= phase.database.roundTrips, 'round trips and statements were counted');
        assert.ok(Number.isFinite(phase.database.postgresCpuMs), "PostgreSQL's CPU was read");
      }
      assert.ok(report.clusterMinimums.length > 0);
      assert.ok(stdout.includes('2 processes on PostgreSQL'), 'the cluster table is printed');
    }

    // The same figures are printed as one table.
    for (const row of ['payment create, bare node:http', 'payment create, paytone', 'full card sessions', 'keypress -> callback', 'memory', 'real calls, 4 at once']) {
      assert.ok(stdout.includes(row), `the table has no "${row}" row`);
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
