/**
 * paytone in cluster mode for the bench: a fresh PostgreSQL database (created on the server at `postgresUrl`,
 * migrated with `paytone migrate`, dropped at the end), N processes on it, requests spread over them in turn.
 *
 * Beside paytone's own CPU the bench meters PostgreSQL's: the backends serving the bench's database, found by their
 * process titles in /proc (`postgres: [<cluster>: ]<user> <database> ...`) when a phase starts and ends. The server's shared
 * processes (WAL writer, checkpointer) are left out: other databases of the same server share them. Round trips and
 * statements are counted by each paytone process's driver and read from its /metrics.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { postgresStore } from './database.js';
import { startPaytone, type Paytone, type PaytoneOptions } from './processes.js';

/** The PostgreSQL server the bench creates its databases on; `--postgres URL` or PAYTONE_BENCH_POSTGRES_URL. */
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const VAULT_KEY = randomBytes(32).toString('hex');

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function onServer(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

const BACKEND = /^postgres: (?:\S+: )?\S+ (\S+) /;

/** The PIDs of the PostgreSQL backends connected to `database`, by their process titles. */
export function backendsOf(database: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const title = fs.readFileSync(`/proc/${entry}/cmdline`, 'latin1');
      // `postgres: [cluster name: ]user database host(port) state`
      if (BACKEND.exec(title)?.[1] === database) pids.push(Number(entry));
    } catch {
      // Ended meanwhile, or not ours to read.
    }
  }
  return pids;
}

/** Sums one counter over the /metrics of each process. */
async function scrape(baseUrls: string[], name: string): Promise<number> {
  let sum = 0;
  for (const url of baseUrls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    sum += line ? Number(line.split(' ')[1]) : NaN;
  }
  return sum;
}

/** Starts `size` paytone processes on a fresh database of the server at `postgresUrl`. */
export async function startCluster(size: number, postgresUrl: string, options: Omit<PaytoneOptions, 'cluster'>): Promise<Paytone> {
  const database = `paytone_bench_${randomBytes(5).toString('hex')}`;
  await onServer(postgresUrl, `CREATE DATABASE ${database}`);
  const databaseUrl = withDatabase(postgresUrl, database);
  const drop = () => onServer(postgresUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  try {
    execFileSync(process.execPath, [CLI, 'migrate'], { env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl }, stdio: 'pipe' });
    const members = await Promise.all(Array.from({ length: size }, (_, i) => startPaytone({ ...options, name: `${options.name}-${i + 1}`, cluster: { databaseUrl, vaultKey: VAULT_KEY } })));
    const baseUrls = members.map((m) => m.baseUrl);
    return {
      baseUrls,
      pids: members.map((m) => m.pid),
      alongside: { postgres: () => backendsOf(database) },
      store: postgresStore(databaseUrl),
      traffic: async () => ({
        roundTrips: await scrape(baseUrls, 'paytone_database_round_trips_total'),
        statements: await scrape(baseUrls, 'paytone_database_statements_total'),
      }),
      async stop() {
        await Promise.all(members.map((m) => m.stop()));
        await drop();
      },
    };
  } catch (err) {
    await drop();
    throw err;
  }
}
