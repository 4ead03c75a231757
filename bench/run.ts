/**
 * `npm run bench [-- --quick | --tiny] [--real-calls N[,M...]] [--cluster N[,M...]] [--postgres URL] [--cpu-prof] [--out DIR] [--log-level LEVEL] [--keypad-interval MS] [--paytone DIR] [--paytone-nice=N]`
 *
 * Starts, on 127.0.0.1 only, paytone on a fresh embedded database, a callback receiver that validates every
 * signature, and a bare node:http server (the ceiling); measures payment create, full sessions, keys typed at the
 * server's pace, keypress-to-callback latency and memory; prints one table and writes it as JSON to bench/results/.
 * With --cluster N the same figures are measured again, in the same run, against N processes on a fresh PostgreSQL
 * database (created on the server at --postgres, PAYTONE_BENCH_POSTGRES_URL or 127.0.0.1:5432, dropped after),
 * requests spread round-robin, with PostgreSQL's CPU and the round trips and statements per operation; `--cluster
 * 1,3` measures one process and then three.
 * The full run (and --quick, --tiny) ends with real SIP calls through paytone at the profile's numbers of concurrent
 * calls (bench/scenarios/realCalls.ts); `--real-calls 200,300` measures only those, into bench/results/real-calls.json.
 * With --cpu-prof every paytone process writes a V8 CPU profile into the run directory, which is kept; with
 * --paytone DIR the server is another checkout's build (DIR/dist), for before-and-after figures; with --paytone-nice
 * N (e.g. -10, as media servers are run) the real-calls part runs paytone at that nice value.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { PROFILES, type BenchProfile } from './profiles.js';
import { Receiver, startBareServer, startEmbedded, type BareServer, type Paytone, type PaytoneOptions } from './processes.js';
import { DEFAULT_POSTGRES_URL, startCluster } from './cluster.js';
import { benchCreate } from './scenarios/create.js';
import { benchSessions } from './scenarios/sessions.js';
import { benchKeypress } from './scenarios/keypress.js';
import { benchMemory } from './scenarios/memory.js';
import { benchRealCalls, type RealCallsFigures } from './scenarios/realCalls.js';
import { largestHolding, realCallsMinimums, realCallsTable } from './realCallsReport.js';
import { clusterMinimums, describeMachine, minimums, minimumsTable, table, type CallbackCheck, type Figures, type Report } from './report.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    tiny: { type: 'boolean', default: false },
    cluster: { type: 'string' },
    'real-calls': { type: 'string' },
    postgres: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(REPO, 'bench', 'results') },
    'log-level': { type: 'string', default: 'info' },
    'keypad-interval': { type: 'string' },
    paytone: { type: 'string' },
    'paytone-nice': { type: 'string' },
  },
});

function chooseProfile(): BenchProfile {
  const profile = structuredClone(PROFILES[args.tiny ? 'tiny' : args.quick ? 'quick' : 'full']);
  if (args['keypad-interval'] !== undefined) profile.keypress.intervalMs = Number(args['keypad-interval']);
  return profile;
}

function clusterSizes(): number[] {
  if (args.cluster === undefined) return [];
  const sizes = args.cluster.split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 16)) throw new Error(`--cluster wants process counts from 1 to 16 (e.g. 3, or 1,3), not ${args.cluster}`);
  return sizes;
}

function realCallCounts(profile: BenchProfile): number[] {
  if (args['real-calls'] === undefined) return profile.realCalls.calls;
  const counts = args['real-calls'].split(',').map(Number);
  if (counts.some((n) => !Number.isInteger(n) || n < 1 || n > 500)) throw new Error(`--real-calls wants numbers of concurrent calls from 1 to 500 (e.g. 200, or 200,300), not ${args['real-calls']}`);
  return counts;
}

/** Real calls at each number of concurrent calls, each on a fresh paytone. */
async function measureRealCalls(counts: number[], seconds: number, receiver: Receiver, start: (name: string, env: Record<string, string>) => Promise<Paytone>): Promise<RealCallsFigures[]> {
  const runs: RealCallsFigures[] = [];
  for (const calls of counts) {
    step(`real calls: ${calls} concurrent SIP calls, RTP both ways, keys in-band and by RFC 4733, ${seconds} s measured`);
    runs.push(await benchRealCalls({ start, receiver, calls, seconds }));
  }
  return runs;
}

function filesystemOf(dir: string): string {
  try {
    return execFileSync('df', ['-T', dir], { encoding: 'utf8' }).split('\n')[1]?.split(/\s+/)[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Waits until the receiver has every callback paytone queued (or a minute has passed), and says how it went. */
async function checkCallbacks(paytone: Paytone, receiver: Receiver): Promise<CallbackCheck> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const queued = await paytone.store.outboxCounts();
    const stats = await receiver.stats();
    if ((queued.pending === 0 && stats.total >= queued.total) || Date.now() > deadline) {
      return { queued: queued.total, received: stats.total, invalidSignatures: stats.invalid, duplicates: stats.duplicates };
    }
    await sleep(100);
  }
}

const step = (what: string) => process.stderr.write(`bench: ${what}\n`);

/** The figures of one paytone (embedded, or a cluster): each phase on a paytone of its own, started by `start`. */
async function measure(a: { profile: BenchProfile; bare: BareServer; receiver: Receiver; start: (name: string, dtmfIntervalMs: number) => Promise<Paytone> }): Promise<Figures> {
  const { profile, bare, receiver } = a;
  // The callback check compares what this paytone queued with what arrived since here.
  await receiver.reset();
  let paytone = await a.start('throughput', 0);
  step('payment create: bare node:http, then paytone');
  const create = await benchCreate({ paytone, bare, receiver, profile: profile.create });
  step('full card sessions');
  const sessions = await benchSessions({ paytone, receiver, profile: profile.sessions });
  const callbacks = await checkCallbacks(paytone, receiver);
  step(`keys at the server's pace: ${profile.keypress.sessions} callers typing a card number at once`);
  const keypad = await benchKeypress({ paytone, receiver, profile: { sessions: profile.keypress.sessions, intervalMs: 0 } });
  await paytone.stop();

  step(`keypress to callback: ${profile.keypress.sessions} callers typing, one key per ${profile.keypress.intervalMs} ms`);
  paytone = await a.start('typing', profile.keypress.intervalMs);
  const keypress = await benchKeypress({ paytone, receiver, profile: profile.keypress });
  await paytone.stop();

  step(`memory: ${profile.memory.sessions} open sessions`);
  paytone = await a.start('memory', 0);
  const memory = await benchMemory({ paytone, receiver, profile: profile.memory });
  await paytone.stop();
  return { create, sessions, callbacks, keypad, keypress, memory };
}

async function main(): Promise<void> {
  const profile = chooseProfile();
  const sizes = clusterSizes();
  const postgresUrl = args.postgres ?? (process.env.PAYTONE_BENCH_POSTGRES_URL || DEFAULT_POSTGRES_URL);
  const loadBefore = os.loadavg()[0]!;
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-bench-'));
  const options = (name: string, dtmfIntervalMs: number): PaytoneOptions => ({
    runDir,
    name,
    dtmfIntervalMs,
    logLevel: args['log-level']!,
    cpuProfile: args['cpu-prof']!,
    main: args.paytone === undefined ? undefined : path.resolve(args.paytone, 'dist', 'src', 'main.js'),
  });
  const receiver = await Receiver.start();
  const bare = await startBareServer();

  const nice = args['paytone-nice'] === undefined ? undefined : Number(args['paytone-nice']);
  if (nice !== undefined && (!Number.isInteger(nice) || nice < -20 || nice > 19)) throw new Error(`--paytone-nice wants a nice value from -20 to 19, not ${args['paytone-nice']}`);
  const realCallsStart = (name: string, env: Record<string, string>) => startEmbedded({ ...options(name, 0), env, nice });
  if (args['real-calls'] !== undefined) {
    step(`real calls only; processes and data in ${runDir}`);
    const runs = await measureRealCalls(realCallCounts(profile), profile.realCalls.seconds, receiver, realCallsStart);
    await bare.stop();
    await receiver.stop();
    const report = {
      date: new Date().toISOString(),
      command: `npm run bench -- --real-calls ${args['real-calls']}${profile.name === 'full' ? '' : ` --${profile.name}`}${nice === undefined ? '' : ` --paytone-nice=${nice}`}`,
      machine: describeMachine(loadBefore, filesystemOf(runDir)),
      realCalls: runs,
      largestHolding: largestHolding(runs),
      minimums: realCallsMinimums(runs),
    };
    const m = report.machine;
    process.stdout.write(`${[...realCallsTable(runs), '', ...minimumsTable(report.minimums), '', `${report.date} · ${report.command} · ${m.cpus} x ${m.cpuModel}, node ${m.node} · load ${m.loadBefore.toFixed(2)} before, ${m.loadAfter.toFixed(2)} after`].join('\n')}\n`);
    fs.mkdirSync(args.out!, { recursive: true });
    fs.writeFileSync(path.join(args.out!, 'real-calls.json'), `${JSON.stringify(report, null, 2)}\n`);
    if (!args['cpu-prof']) fs.rmSync(runDir, { recursive: true, force: true });
    return;
  }

  step(`${profile.name} run; processes and data in ${runDir}`);
  const embedded = await measure({ profile, bare, receiver, start: (name, interval) => startEmbedded(options(name, interval)) });
  const clusters: Report['clusters'] = [];
  for (const size of sizes) {
    step(`cluster of ${size} on PostgreSQL`);
    const figures = await measure({ profile, bare, receiver, start: (name, interval) => startCluster(size, postgresUrl, options(`cluster${size}-${name}`, interval)) });
    clusters.push({ processes: size, ...figures });
  }
  const realCalls = await measureRealCalls(profile.realCalls.calls, profile.realCalls.seconds, receiver, realCallsStart);
  await bare.stop();
  await receiver.stop();

  const flags = [profile.name === 'full' ? '' : `--${profile.name}`, sizes.length > 0 ? `--cluster ${sizes.join(',')}` : ''].filter(Boolean).join(' ');
  const report: Report = {
    date: new Date().toISOString(),
    command: `npm run bench${flags ? ` -- ${flags}` : ''}`,
    profile: profile.name,
    machine: describeMachine(loadBefore, filesystemOf(runDir)),
    ...embedded,
    minimums: minimums(embedded),
    clusters,
    clusterMinimums: clusterMinimums(embedded, clusters),
    realCalls,
    realCallsMinimums: realCallsMinimums(realCalls),
  };
  process.stdout.write(`${table(report)}\n`);
  fs.mkdirSync(args.out!, { recursive: true });
  const file = path.join(args.out!, `${profile.name}${sizes.length > 0 ? `-cluster-${sizes.join('-')}` : ''}.json`);
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  step(`results written to ${path.relative(process.cwd(), file) || file}`);
  if (args['cpu-prof']) step(`CPU profiles kept in ${runDir}`);
  else fs.rmSync(runDir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
