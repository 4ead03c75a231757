/**
 * Runs the real paytone server as a child process (so tests can `kill -9` it) on 127.0.0.1 with a fresh data
 * directory, and captures everything it writes for the leak checks.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import twilio from 'twilio';

export const ACCOUNT_SID = 'AC' + '0123456789abcdef'.repeat(2);
export const AUTH_TOKEN = 'fedcba9876543210'.repeat(2);

const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/**
 * Runs the `paytone` command on a data dir with `--json` and returns what it printed, parsed.
 *
 * @example
 *   const other = paytoneCli(paytone.dataDir, 'accounts', 'create', '--friendly-name', 'other desk');
 */
export function paytoneCli(dataDir: string, ...args: string[]): any {
  return JSON.parse(execFileSync(process.execPath, [CLI, ...args, '--json'], { env: { PATH: process.env.PATH ?? '', PAYTONE_DATA_DIR: dataDir } }).toString());
}

export interface PaytoneProcess {
  baseUrl: string;
  port: number;
  dataDir: string;
  child: ChildProcess;
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

export async function startPaytone(options: { dataDir?: string; env?: Record<string, string>; captured?: string[] } = {}): Promise<PaytoneProcess> {
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
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let scheme = 'http';
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
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const self: PaytoneProcess = {
    baseUrl,
    port,
    dataDir,
    child,
    output: () => captured.join(''),
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
    async kill(signal = 'SIGKILL') {
      child.kill(signal);
      await exited;
    },
    async restart() {
      await self.kill('SIGKILL');
      return startPaytone({ ...options, dataDir, captured });
    },
    async stop() {
      if (child.exitCode === null) await self.kill('SIGTERM');
    },
  };
  return self;
}
