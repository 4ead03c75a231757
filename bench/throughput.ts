/**
 * The two figures the cluster's minimums compare, and nothing else, in a few minutes: full card sessions a second
 * and keys a second at the server's pace, for one embedded process and then for clusters of N processes on fresh
 * PostgreSQL databases, each with the costs per operation. The same phases as `npm run bench` (bench/run.ts), the
 * sessions' timed window as in `--quick` with two warm-up rounds instead of four; create, typing at a person's pace,
 * memory and real calls are left out. One line a paytone, on stdout.
 *
 * @example
 *   npm run build && node dist/bench/throughput.js --cluster 1,3
 *   node dist/bench/throughput.js --cluster 3 --paytone ../main   # another checkout's build, for a before figure
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { DatabaseCost } from './cost.js';
import { DEFAULT_POSTGRES_URL, startCluster } from './cluster.js';
import { PROFILES } from './profiles.js';
import { Receiver, startEmbedded, type Paytone, type PaytoneOptions } from './processes.js';
import { benchKeypress } from './scenarios/keypress.js';
import { benchSessions } from './scenarios/sessions.js';

const { values: args } = parseArgs({ options: { cluster: { type: 'string', default: '1' }, postgres: { type: 'string' }, paytone: { type: 'string' } } });
const sizes = args.cluster!.split(',').map(Number);
const postgresUrl = args.postgres ?? (process.env.PAYTONE_BENCH_POSTGRES_URL || DEFAULT_POSTGRES_URL);
const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-throughput-'));
const options = (name: string): PaytoneOptions => ({
  runDir,
  name,
  dtmfIntervalMs: 0,
  logLevel: 'info',
  cpuProfile: false,
  main: args.paytone === undefined ? undefined : path.resolve(args.paytone, 'dist', 'src', 'main.js'),
});
const cost = (c: DatabaseCost | undefined) => (c ? ` + ${c.postgresCpuMs.toFixed(2)} ms PostgreSQL; ${c.roundTrips.toFixed(2)} round trips, ${c.statements.toFixed(1)} statements` : '');

async function measure(label: string, paytone: Paytone, receiver: Receiver): Promise<void> {
  const load = os.loadavg()[0]!;
  try {
    await receiver.reset();
    const s = await benchSessions({ paytone, receiver, profile: { ...PROFILES.quick.sessions, warmupRounds: 2 } });
    const k = await benchKeypress({ paytone, receiver, profile: { sessions: PROFILES.quick.keypress.sessions, intervalMs: 0 } });
    process.stdout.write(
      `${new Date().toISOString()} ${label}: ${s.sessionsPerSecond.toFixed(1)} sessions/s (${s.sessions} done, ${s.failed} failed, p99 ${s.p99Ms.toFixed(0)} ms), ` +
        `per session ${s.paytoneCpuMsPerSession.toFixed(2)} ms paytone${cost(s.database)}; ` +
        `${k.wholePhaseKeypressesPerSecond.toFixed(0)} keys/s (${k.missing} missing), per key ${k.paytoneCpuMsPerKeypress.toFixed(2)} ms paytone${cost(k.database)}; ` +
        `load ${load.toFixed(2)} -> ${os.loadavg()[0]!.toFixed(2)}\n`,
    );
  } finally {
    await paytone.stop();
  }
}

const receiver = await Receiver.start();
try {
  await measure('embedded', await startEmbedded(options('embedded')), receiver);
  for (const size of sizes) await measure(`${size} process${size === 1 ? '' : 'es'} on PostgreSQL`, await startCluster(size, postgresUrl, options(`cluster${size}`)), receiver);
} finally {
  await receiver.stop();
  fs.rmSync(runDir, { recursive: true, force: true });
}
