/**
 * Runs the real paytone server as a child process (so tests can `kill -9` it) on 127.0.0.1 with a fresh data
 * directory, and captures everything it writes for the leak checks.
 *
 * With `PAYTONE_TEST_CLUSTER=3` in the environment, `startPaytone` starts a cluster instead: three processes on a
 * fresh PostgreSQL database behind a round-robin balancer (test/support/paytoneCluster.ts), behind the same
 * interface, so every e2e suite runs unchanged against one process or against a cluster.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import twilio from 'twilio';
import { clusterSizeForTests, startPaytoneCluster } from './paytoneCluster.js';
import type { ScratchDatabase } from './postgres.js';

export const ACCOUNT_SID = 'AC' + '0123456789abcdef'.repeat(2);
export const AUTH_TOKEN = 'fedcba9876543210'.repeat(2);

const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/**
 * Runs the `paytone` command on a data dir with `--json` and returns what it printed, parsed.
 *
 * @example
 *   const other = paytoneCli(paytone, 'accounts', 'create', '--friendly-name', 'other desk');
 */
export function paytoneCli(paytone: Pick<PaytoneProcess, 'cliEnv'>, ...args: string[]): any {
  return JSON.parse(execFileSync(process.execPath, [CLI, ...args, '--json'], { env: { PATH: process.env.PATH ?? '', ...paytone.cliEnv } }).toString());
}

export interface PaytoneProcess {
  baseUrl: string;
  port: number;
  /** Where its SIP listens (UDP and TCP on 127.0.0.1), or null when SIP is off. */
  sipPort: number | null;
  dataDir: string;
  child: ChildProcess;
  /** Environment for the `paytone` command to work on this server's database. */
  cliEnv: Record<string, string>;
  /** A cluster's PostgreSQL database (absent for one process on SQLite). */
  database?: ScratchDatabase;
  /** Reads the server's database beside it (its SQLite file, or the cluster's PostgreSQL); `?` placeholders. */
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
  /** Everything the process printed, stdout and stderr, across restarts. */
  output(): string;
  client(): twilio.Twilio;
  /** POST a form with the account's credentials (or others) and return status and parsed JSON. */
  post(path: string, form: Record<string, string>, auth?: [string, string]): Promise<{ status: number; body: any }>;
  get(path: string, auth?: [string, string]): Promise<{ status: number; body: any }>;
  /** Types digits on the sandbox caller's keypad. */
  press(callSid: string, digits: string): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  restart(): Promise<PaytoneProcess>;
  stop(): Promise<void>;
}

export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-test-'));
}

export interface StartOptions {
  dataDir?: string;
  env?: Record<string, string>;
  captured?: string[];
}

let rtpBlock = 0;

/**
 * RTP ports for one test server: one of 750 blocks of 40 in 30000-59999, chosen by this test process's pid and how
 * many servers it started, so that servers of parallel suites rarely share ports (and skip the ones taken).
 */
export function testRtpPorts(): string {
  const first = 30_000 + ((process.pid * 7 + rtpBlock++) % 750) * 40;
  return `${first}-${first + 39}`;
}

/** One process on SQLite, or a cluster when PAYTONE_TEST_CLUSTER asks for one. */
export async function startPaytone(options: StartOptions = {}): Promise<PaytoneProcess> {
  const size = clusterSizeForTests();
  return size > 1 ? startPaytoneCluster({ size, env: options.env }) : startPaytoneProcess(options);
}

/** Requests with the test account's credentials (or others) to a paytone base URL. */
export function paytoneHttp(baseUrl: string): Pick<PaytoneProcess, 'client' | 'post' | 'get' | 'press'> {
  const basic = (auth: [string, string]) => 'Basic ' + Buffer.from(`${auth[0]}:${auth[1]}`).toString('base64');
  const call = async (method: string, p: string, form: Record<string, string> | null, auth: [string, string]) => {
    const response = await fetch(baseUrl + p, {
      method,
      headers: { authorization: basic(auth), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
  return {
    client() {
      const client = twilio(ACCOUNT_SID, AUTH_TOKEN);
      client.api.baseUrl = baseUrl;
      return client;
    },
    post: (p, form, auth = [ACCOUNT_SID, AUTH_TOKEN]) => call('POST', p, form, auth),
    get: (p, auth = [ACCOUNT_SID, AUTH_TOKEN]) => call('GET', p, null, auth),
    async press(callSid, digits) {
      const result = await call('POST', `/sandbox/Accounts/${ACCOUNT_SID}/Calls/${callSid}/Dtmf.json`, { Digits: digits }, [ACCOUNT_SID, AUTH_TOKEN]);
      if (result.status !== 202) throw new Error(`DTMF refused: ${JSON.stringify(result.body)}`);
    },
  };
}

/** One paytone process. */
export async function startPaytoneProcess(options: StartOptions = {}): Promise<PaytoneProcess> {
  const dataDir = options.dataDir ?? tempDataDir();
  const captured = options.captured ?? [];
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      PAYTONE_DATA_DIR: dataDir,
      PAYTONE_ACCOUNT_SID: ACCOUNT_SID,
      PAYTONE_AUTH_TOKEN: AUTH_TOKEN,
      PAYTONE_DTMF_INTERVAL_MS: '0',
      LOG_LEVEL: 'debug',
      // Many servers run at once: each takes a free SIP port, and RTP pairs from a range of its own.
      PAYTONE_SIP_LISTEN: '127.0.0.1:0',
      PAYTONE_RTP_PORTS: testRtpPorts(),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let scheme = 'http';
  let sipPort: number | null = null;
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`paytone did not start:\n${captured.join('')}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      captured.push(chunk.toString());
      buffer += chunk.toString();
      const match = /"address":"(https?):\/\/127\.0\.0\.1:(\d+)"/.exec(buffer);
      if (match) {
        clearTimeout(timer);
        scheme = match[1]!;
        // This start's SIP port (the line comes before the one above; `captured` holds earlier starts too).
        sipPort = Number(/"sip":"127\.0\.0\.1:(\d+)"/.exec(buffer)?.[1] ?? NaN) || null;
        resolve(Number(match[2]));
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => captured.push(chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`paytone exited with ${code}:\n${captured.join('')}`));
    });
  });
  const baseUrl = `${scheme}://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const self: PaytoneProcess = {
    baseUrl,
    port,
    sipPort,
    dataDir,
    child,
    cliEnv: { PAYTONE_DATA_DIR: dataDir, ...(options.env?.DATABASE_URL ? { DATABASE_URL: options.env.DATABASE_URL, PAYTONE_VAULT_KEY: options.env.PAYTONE_VAULT_KEY ?? '' } : {}) },
    output: () => captured.join(''),
    async query(text, params = []) {
      const db = new Database(path.join(dataDir, 'paytone.db'), { readonly: true, fileMustExist: true });
      try {
        return db.prepare(text).all(...params) as never;
      } finally {
        db.close();
      }
    },
    ...paytoneHttp(baseUrl),
    async kill(signal = 'SIGKILL') {
      child.kill(signal);
      await exited;
    },
    async restart() {
      await self.kill('SIGKILL');
      return startPaytoneProcess({ ...options, dataDir, captured });
    },
    async stop() {
      if (child.exitCode === null) await self.kill('SIGTERM');
    },
  };
  return self;
}
