/**
 * The processes of a bench run, each on 127.0.0.1 with its own pid, so that the CPU each one burns and the
 * memory paytone holds can be read from /proc: paytone on a fresh data directory, the callback receiver and
 * the bare reference server.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { EventEmitter } from 'node:events';
import type { Arrival, CardCallback, ReceiverReply, ReceiverRequest } from './receiverProtocol.js';
import { embeddedStore, type BenchStore } from './database.js';
import type { Metered } from './cpu.js';

const PAYTONE_MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const CHILDREN = fileURLToPath(new URL('./children/', import.meta.url));
const CLOCK_TICKS_PER_SECOND = 100;

export const ACCOUNT_SID = 'AC' + 'b3c4'.repeat(8);
export const AUTH_TOKEN = '5e11'.repeat(8);

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Resident set size in bytes, from /proc/<pid>/status. */
export function residentBytesOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : NaN;
}

/** CPU seconds of this process (the load generator). */
export function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** paytone under load: one embedded process, or a cluster's processes (bench/cluster.ts). */
export interface Paytone {
  /** Where requests go, in turn. */
  baseUrls: string[];
  pids: number[];
  /** Processes metered beside paytone's own: a cluster's PostgreSQL backends. */
  alongside: Record<string, Metered>;
  store: BenchStore;
  /** A cluster's PostgreSQL traffic so far, summed over its processes (their /metrics). */
  traffic?(): Promise<{ roundTrips: number; statements: number }>;
  stop(): Promise<void>;
}

/** One paytone process (`startPaytone`), as a cluster member or on its own. */
export interface PaytoneProcess {
  baseUrl: string;
  pid: number;
  stop(): Promise<void>;
}

export interface PaytoneOptions {
  runDir: string;
  name: string;
  dtmfIntervalMs: number;
  logLevel: string;
  /** Write a V8 CPU profile of the whole run into the run directory. */
  cpuProfile: boolean;
  /** Another build's `dist/src/main.js` (`--paytone DIR`), to compare a change with what it replaces. */
  main?: string;
  /** More settings for this process (the real-calls part: SIP address, RTP ports). */
  env?: Record<string, string>;
  /** Run paytone at this nice value (`--paytone-nice`, e.g. -10, as media servers are run), every thread of it. */
  nice?: number;
  /** Cluster mode: PostgreSQL's URL and the vault key all members share. */
  cluster?: { databaseUrl: string; vaultKey: string };
}

/** One embedded paytone on a fresh data directory. */
export async function startEmbedded(options: PaytoneOptions): Promise<Paytone> {
  const one = await startPaytone(options);
  return { baseUrls: [one.baseUrl], pids: [one.pid], alongside: {}, store: embeddedStore(path.join(options.runDir, `${options.name}-data`)), stop: one.stop };
}

export async function startPaytone(options: PaytoneOptions): Promise<PaytoneProcess> {
  const dataDir = path.join(options.runDir, `${options.name}-data`);
  const logFile = path.join(options.runDir, `${options.name}.log`);
  // The port is chosen here rather than read from the log, which a quiet LOG_LEVEL leaves empty.
  const port = await freePort();
  const out = fs.openSync(logFile, 'w');
  const nodeArgs = options.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${options.runDir}`, `--cpu-prof-name=${options.name}.cpuprofile`] : [];
  const command = [process.execPath, ...nodeArgs, options.main ?? PAYTONE_MAIN];
  // `nice` execs node in its place: the pid is paytone's.
  if (options.nice !== undefined) command.unshift('nice', '-n', String(options.nice));
  const child = spawn(command[0]!, command.slice(1), {
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      PAYTONE_DATA_DIR: dataDir,
      PAYTONE_ACCOUNT_SID: ACCOUNT_SID,
      PAYTONE_AUTH_TOKEN: AUTH_TOKEN,
      PAYTONE_DTMF_INTERVAL_MS: String(options.dtmfIntervalMs),
      LOG_LEVEL: options.logLevel,
      // One account drives the whole load: the per-account limit (a guard against a runaway client) would
      // measure itself, not paytone.
      PAYTONE_RATE_LIMIT: 'off',
      // The keypress phases ask 1,000 callers for their card numbers before any types: on a slow server that takes
      // longer than the first key's default 15 s, and fields would end before their keys are typed.
      PAYTONE_FIRST_DIGIT_TIMEOUT: '600',
      ...options.env,
      ...(options.cluster ? { DATABASE_URL: options.cluster.databaseUrl, PAYTONE_VAULT_KEY: options.cluster.vaultKey } : {}),
    },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (!(await answers(baseUrl))) {
    if (child.exitCode !== null) throw new Error(`paytone exited with ${child.exitCode}:\n${fs.readFileSync(logFile, 'utf8')}`);
    if (Date.now() > deadline) throw new Error(`paytone did not start:\n${fs.readFileSync(logFile, 'utf8')}`);
    await sleep(50);
  }
  return {
    baseUrl,
    pid: child.pid!,
    async stop() {
      // SIGTERM lets paytone close cleanly (and write its CPU profile).
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function answers(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(baseUrl);
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** A helper process of the bench (compiled from bench/children/), with the IPC channel open. */
async function forkChild(script: string, env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(path.join(CHILDREN, script), [], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    child.on('message', (message: { type: string; port?: number }) => {
      if (message.type === 'ready') resolve(message.port!);
    });
  });
  return { child, port };
}

export interface BareServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startBareServer(): Promise<BareServer> {
  const { child, port } = await forkChild('bareServer.js', {});
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop: () => stopChild(child) };
}

export interface ReceiverStats {
  total: number;
  invalid: number;
  duplicates: number;
}

/**
 * The callback receiver process, seen from the generator: `arrival(sid, what)` resolves when the callback that
 * ends a field (`what` = the capture name) or the session (`what` = 'final') has arrived.
 */
export class Receiver extends EventEmitter {
  private readonly arrived = new Map<string, Arrival>();
  private readonly waiting = new Map<string, (arrival: Arrival) => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    super();
    child.on('message', (message: ReceiverReply) => {
      if (message.type === 'arrivals') for (const arrival of message.arrivals) this.take(arrival);
      else this.emit(message.type, message);
    });
  }

  static async start(): Promise<Receiver> {
    const { child, port } = await forkChild('receiver.js', { BENCH_AUTH_TOKEN: AUTH_TOKEN });
    return new Receiver(child, `http://127.0.0.1:${port}`);
  }

  get pid(): number {
    return this.child.pid!;
  }

  private take(arrival: Arrival): void {
    const what = arrival.result !== '' ? 'final' : arrival.capture;
    if (what === '') return;
    const key = `${arrival.sid}|${what}`;
    const waiter = this.waiting.get(key);
    if (waiter) {
      this.waiting.delete(key);
      waiter(arrival);
    } else {
      this.arrived.set(key, arrival);
    }
  }

  /** Resolves with the callback that ended `what` (a capture name, or 'final'); rejects after `timeoutMs`. */
  arrival(sid: string, what: string, timeoutMs: number): Promise<Arrival> {
    const key = `${sid}|${what}`;
    const early = this.arrived.get(key);
    if (early) {
      this.arrived.delete(key);
      return Promise.resolve(early);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error(`no ${what} callback for ${sid} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(key, (arrival) => {
        clearTimeout(timer);
        resolve(arrival);
      });
    });
  }

  private ask<T>(request: ReceiverRequest, replyType: string): Promise<T> {
    return new Promise((resolve) => {
      this.once(replyType, resolve);
      this.child.send(request);
    });
  }

  stats(): Promise<ReceiverStats> {
    return this.ask({ type: 'stats' }, 'stats');
  }

  reset(): Promise<ReceiverStats> {
    this.arrived.clear();
    return this.ask({ type: 'reset' }, 'stats');
  }

  /** Every card-number callback since the last ask: session, digits shown, partial or not, arrival. */
  async cards(): Promise<CardCallback[]> {
    return (await this.ask<{ cards: CardCallback[] }>({ type: 'cards' }, 'cards')).cards;
  }

  /** Arrival time of every per-digit callback since the last ask, by idempotency token (`PK...-seq`). */
  async partials(): Promise<Map<string, number>> {
    const reply = await this.ask<{ partials: Array<[string, number]> }>({ type: 'partials' }, 'partials');
    return new Map(reply.partials);
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.disconnect();
  await exited;
}
