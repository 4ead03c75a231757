/**
 * The HTTP/e2e suite again, against a 3-process cluster on PostgreSQL: the files in test/e2e run with
 * PAYTONE_TEST_CLUSTER=3, so each starts three servers on a fresh database behind a round-robin balancer and the
 * requests of every session (API calls, keypad, reads, the live event stream, the browser console) are spread
 * over all three processes.
 *
 * Left out, because what they test belongs to one process and its own socket, not to the cluster: the HTTP fuzz,
 * size and slow-client limits and TLS (through the test balancer they would test the balancer), the per-process rate
 * limiter and failed-sign-in lockout, one process's graceful shutdown,
 * and the search of the embedded data dir (test/cluster/killOneProcess.test.ts searches the PostgreSQL rows), and the
 * single-process crash test (chaos: it kills and restarts its one server and reads its SQLite ledger; the cluster's
 * own kill test is killOneProcess.test.ts). The
 * browser console and the cross-site browser test are left to the one-process pass (a headless Chromium beside
 * three servers is too much for this machine); the live event stream the console reads is tested across processes
 * by liveEvents.test.ts here. The SIP tests (sipFuzz, realCalls, realCallKeypad) are left out too: a call's SIP
 * legs and media belong to the one process that holds them, and these suites start that one process themselves,
 * so here they would only repeat the one-process pass.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { migratedTemplate, postgresForTests } from '../support/postgres.js';

const E2E = fileURLToPath(new URL('../e2e/', import.meta.url));
// operations.test runs here too: it scrapes every member, sums their counters and checks that the gauges read
// from the database agree between processes.
const PER_PROCESS = new Set(['httpFuzz', 'limits', 'tls', 'hostileCallers', 'shutdown', 'leak', 'console', 'crossSite', 'authFlood', 'chaos', 'sipFuzz', 'realCalls', 'realCallKeypad']);
/**
 * A file that starts its servers with `startPaytoneProcess` only gets one process whatever PAYTONE_TEST_CLUSTER
 * says: here it would repeat the one-process pass word for word, so it is left out too.
 */
function startsOneProcessOnly(file: string): boolean {
  const code = fs.readFileSync(file, 'utf8');
  return code.includes('startPaytoneProcess(') && !/\b(startPaytone|openPaytone)\(/.test(code);
}
const files = fs
  .readdirSync(E2E)
  .filter((name) => name.endsWith('.test.js') && !PER_PROCESS.has(name.replace('.test.js', '')))
  .map((name) => path.join(E2E, name))
  .filter((file) => !startsOneProcessOnly(file));
const pg = await postgresForTests();
/**
 * How many e2e files run at once, each on a cluster of its own: one by default. Two save time on a quiet machine
 * (while one file waits on its servers the other has the CPU), but each cluster holds about 15 PostgreSQL
 * connections at rest and up to 3 x 18 at a burst, and beside the rest of `npm test` on two busy cores two at once
 * ran out of the server's 100 connections and out of the files' time. Set 2 where there is room.
 */
const CONCURRENCY = Number(process.env.PAYTONE_TEST_CLUSTER_CONCURRENCY ?? 1);

it('runs every e2e suite against three processes sharing one PostgreSQL database', { skip: pg.skip ?? false, timeout: 10 * 60_000 }, async (t) => {
  // Every cluster of the run starts on a copy of one database that `paytone migrate` made.
  const template = await migratedTemplate();
  t.after(() => template.drop());
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, ['--test', `--test-concurrency=${CONCURRENCY}`, '--test-reporter=tap', ...files], {
      // Without the outer runner's NODE_TEST_CONTEXT, the inner one reports on its own (TAP on stdout).
      env: { ...process.env, NODE_TEST_CONTEXT: undefined, PAYTONE_TEST_CLUSTER: '3', PAYTONE_TEST_POSTGRES_TEMPLATE: template.name },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: on a timeout the inner runner, its test files and their servers all go, instead of
      // keeping this file, and so the whole suite, from ever ending.
      detached: true,
    });
    t.signal.addEventListener('abort', () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    }, { once: true });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.on('error', reject);
    child.on('close', resolve);
  });
  const tap = output.join('');
  const counts = tap.split('\n').filter((line) => /^# (tests|pass|fail|skipped)/.test(line));
  // Each failure's name and its error, a multi-line one (`error: |-`) with the four lines that follow it.
  const lines = tap.split('\n');
  const failures = lines.flatMap((line, i) => (/^\s*not ok|^\s+timed out/.test(line) ? [line] : /^\s+error:/.test(line) ? lines.slice(i, i + (line.endsWith('|-') ? 5 : 1)) : []));
  assert.equal(code, 0, `the cluster run of the e2e suite failed:\n${failures.slice(0, 40).join('\n')}\n${counts.join('\n')}`);
  assert.match(tap, /^# pass [1-9]/m, 'the e2e suite ran');
  assert.match(tap, /^# fail 0$/m);
});
