/**
 * A paytone cluster for tests: a fresh PostgreSQL database (a copy of one migrated with `paytone migrate`), N server
 * processes on it, and a round-robin balancer in front, behind the one-process `PaytoneProcess` interface. `baseUrl`
 * is the balancer, so every request a suite makes (twilio client, keypad, GETs) lands on the next process in turn.
 *
 * `kill()` and `restart()` act on every member (a whole-cluster crash); `members` gives each process for tests that
 * kill one of them. `stop()` stops the processes and the balancer; the database is dropped when the test file's
 * process ends, since a suite may start the cluster again on the same data.
 *
 * @example
 *   const cluster = await startPaytoneCluster({ size: 3 });
 *   await cluster.members[1]!.kill('SIGKILL');   // the others go on serving through the same baseUrl
 */
import { startPaytoneProcess, paytoneHttp, type PaytoneProcess } from './paytone.js';
import { postgresForTests, type ScratchDatabase } from './postgres.js';
import { startRoundRobin, type RoundRobin } from './roundRobin.js';

/** The vault key every member shares (a cluster needs one key for all its processes). */
export const CLUSTER_VAULT_KEY = '5a'.repeat(32);

/** How many processes `startPaytone` runs: PAYTONE_TEST_CLUSTER, or 1. */
export function clusterSizeForTests(): number {
  const size = Number(process.env.PAYTONE_TEST_CLUSTER ?? '1');
  return Number.isInteger(size) && size > 1 ? size : 1;
}

export interface PaytoneCluster extends PaytoneProcess {
  database: ScratchDatabase;
  /** The processes as they run now (replaced by `restart()` and `restartMember()`). */
  members: PaytoneProcess[];
  /** Starts member `index` again (after it was killed) on the same database. */
  restartMember(index: number): Promise<PaytoneProcess>;
}

export async function startPaytoneCluster(options: { size: number; env?: Record<string, string> }): Promise<PaytoneCluster> {
  const pg = await postgresForTests();
  if (pg.skip) throw new Error(pg.skip);
  const database = await pg.createMigratedDatabase();
  const env = { ...options.env, DATABASE_URL: database.url, PAYTONE_VAULT_KEY: CLUSTER_VAULT_KEY };
  const captured = Array.from({ length: options.size }, () => [] as string[]);
  const startMember = (index: number, dataDir?: string) => startPaytoneProcess({ env, captured: captured[index], dataDir });
  // A member that fails to start fails the cluster, and the members that did start are stopped: left running, their
  // pipes would keep the test file from ever ending.
  const started = await Promise.allSettled(captured.map((_, index) => startMember(index)));
  let members = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) {
    await Promise.all(members.map((member) => member.kill('SIGKILL')));
    await database.drop();
    throw failed.reason;
  }
  const balance = () => startRoundRobin(() => members.map((m) => m.port));
  let balancer: RoundRobin | null = await balance();
  // Tests stop and start the cluster again on the same data: the database goes when the test file ends.
  process.once('beforeExit', () => void database.drop());
  // A test file that ends (or fails) without stopping its cluster leaves no server behind.
  process.once('exit', () => members.forEach((m) => m.child.kill('SIGKILL')));

  const cluster: PaytoneCluster = {
    get baseUrl() {
      return balancer!.url;
    },
    get port() {
      return balancer!.port;
    },
    get sipPort() {
      return members[0]!.sipPort;
    },
    get dataDir() {
      return members[0]!.dataDir;
    },
    get child() {
      return members[0]!.child;
    },
    cliEnv: { PAYTONE_DATA_DIR: members[0]!.dataDir, DATABASE_URL: database.url, PAYTONE_VAULT_KEY: CLUSTER_VAULT_KEY },
    database,
    get members() {
      return members;
    },
    output: () => captured.map((lines) => lines.join('')).join(''),
    query(text, params) {
      let n = 0;
      return database.query(text.replace(/\?/g, () => `$${++n}`), params) as never;
    },
    client: () => paytoneHttp(balancer!.url).client(),
    post: (...args) => paytoneHttp(balancer!.url).post(...args),
    get: (...args) => paytoneHttp(balancer!.url).get(...args),
    press: (...args) => paytoneHttp(balancer!.url).press(...args),
    async kill(signal = 'SIGKILL') {
      await Promise.all(members.map((m) => m.kill(signal)));
    },
    async restart() {
      await cluster.kill('SIGKILL');
      members = await Promise.all(members.map((m, index) => startMember(index, m.dataDir)));
      balancer ??= await balance();
      return cluster;
    },
    async restartMember(index) {
      const member = members[index]!;
      await member.kill('SIGKILL');
      const started = await startMember(index, member.dataDir);
      members = members.map((m, i) => (i === index ? started : m));
      return started;
    },
    async stop() {
      await Promise.all(members.map((m) => m.stop()));
      await balancer?.close();
      balancer = null;
    },
  };
  return cluster;
}
