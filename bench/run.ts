/**
 * `npm run bench [-- --quick | --tiny] [--cpu-prof] [--out DIR] [--log-level LEVEL] [--keypad-interval MS] [--paytone DIR]`
 *
 * Starts, on 127.0.0.1 only, paytone on a fresh embedded database, a callback receiver that validates every
 * signature, and a bare node:http server (the ceiling); measures payment create, full sessions,
 * keypress-to-callback latency and memory; prints one table and writes it as JSON to bench/results/.
 * With --cpu-prof every paytone process writes a V8 CPU profile into the run directory, which is kept; with
 * --paytone DIR the server is another checkout's build (DIR/dist), for before-and-after figures.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { PROFILES, type BenchProfile } from './profiles.js';
import { Receiver, startBareServer, startPaytone, type Paytone } from './processes.js';
import { benchCreate } from './scenarios/create.js';
import { benchSessions } from './scenarios/sessions.js';
import { benchKeypress } from './scenarios/keypress.js';
import { benchMemory } from './scenarios/memory.js';
import { outboxCounts } from './database.js';
import { describeMachine, minimums, table, type CallbackCheck, type Report } from './report.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    tiny: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(REPO, 'bench', 'results') },
    'log-level': { type: 'string', default: 'info' },
    'keypad-interval': { type: 'string' },
    paytone: { type: 'string' },
  },
});

function chooseProfile(): BenchProfile {
  const profile = structuredClone(PROFILES[args.tiny ? 'tiny' : args.quick ? 'quick' : 'full']);
  if (args['keypad-interval'] !== undefined) profile.keypress.intervalMs = Number(args['keypad-interval']);
  return profile;
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
    const queued = outboxCounts(paytone.dataDir);
    const stats = await receiver.stats();
    if ((queued.pending === 0 && stats.total >= queued.total) || Date.now() > deadline) {
      return { queued: queued.total, received: stats.total, invalidSignatures: stats.invalid, duplicates: stats.duplicates };
    }
    await sleep(100);
  }
}

const step = (what: string) => process.stderr.write(`bench: ${what}\n`);

async function main(): Promise<void> {
  const profile = chooseProfile();
  const loadBefore = os.loadavg()[0]!;
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-bench-'));
  const paytoneOptions = {
    runDir,
    logLevel: args['log-level']!,
    cpuProfile: args['cpu-prof']!,
    main: args.paytone === undefined ? undefined : path.resolve(args.paytone, 'dist', 'src', 'main.js'),
  };
  const receiver = await Receiver.start();
  const bare = await startBareServer();

  step(`${profile.name} run; processes and data in ${runDir}`);
  let paytone = await startPaytone({ ...paytoneOptions, name: 'throughput', dtmfIntervalMs: 0 });
  step('payment create: bare node:http, then paytone');
  const create = await benchCreate({ paytone, bare, receiver, profile: profile.create });
  await bare.stop();
  step('full card sessions');
  const sessions = await benchSessions({ paytone, receiver, profile: profile.sessions });
  const callbacks = await checkCallbacks(paytone, receiver);
  await paytone.stop();

  step(`keypress to callback: ${profile.keypress.sessions} callers typing, one key per ${profile.keypress.intervalMs} ms`);
  paytone = await startPaytone({ ...paytoneOptions, name: 'typing', dtmfIntervalMs: profile.keypress.intervalMs });
  const keypress = await benchKeypress({ paytone, receiver, profile: profile.keypress });
  await paytone.stop();

  step(`memory: ${profile.memory.sessions} open sessions`);
  paytone = await startPaytone({ ...paytoneOptions, name: 'memory', dtmfIntervalMs: 0 });
  const memory = await benchMemory({ paytone, receiver, profile: profile.memory });
  await paytone.stop();
  await receiver.stop();

  const figures = { create, sessions, callbacks, keypress, memory };
  const report: Report = {
    date: new Date().toISOString(),
    command: `npm run bench${profile.name === 'full' ? '' : ` -- --${profile.name}`}`,
    profile: profile.name,
    machine: describeMachine(loadBefore, filesystemOf(runDir)),
    ...figures,
    minimums: minimums(figures),
  };
  process.stdout.write(`${table(report)}\n`);
  fs.mkdirSync(args.out!, { recursive: true });
  const file = path.join(args.out!, `${profile.name}.json`);
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  step(`results written to ${path.relative(process.cwd(), file) || file}`);
  if (args['cpu-prof']) step(`CPU profiles kept in ${runDir}`);
  else fs.rmSync(runDir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
