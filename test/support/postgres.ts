/**
 * A fresh PostgreSQL database per test run, on the machine's server (127.0.0.1:5432, user postgres, or
 * PAYTONE_TEST_POSTGRES_URL), dropped at the end. When no server answers, suites skip with the reason; under
 * CI=true a missing server is a failure instead.
 *
 * @example
 *   const pg = await postgresForTests();
 *   if (pg.skip) return t.skip(pg.skip);
 *   const scratch = await pg.createDatabase(); ... await scratch.drop();
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runNode } from './run.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export const POSTGRES_URL = process.env.PAYTONE_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ScratchDatabase {
  url: string;
  name: string;
  /** Runs one query on the scratch database (tests read what the server stored). */
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>;
  /** Every row of every table, as text: what a search for leaked secrets reads. */
  allRows(): Promise<string>;
  drop(): Promise<void>;
}

export interface PostgresForTests {
  /** Why PostgreSQL tests cannot run here, or null when they can. */
  skip: string | null;
  createDatabase(): Promise<ScratchDatabase>;
  /**
   * A scratch database with paytone's schema: a copy of one that `paytone migrate` made once for this run (named by
   * PAYTONE_TEST_POSTGRES_TEMPLATE, or made by this process the first time it asks), since copying a migrated
   * database costs PostgreSQL a file copy where migrating costs a node process and a dozen migrations.
   */
  createMigratedDatabase(): Promise<ScratchDatabase>;
}

function urlFor(database: string): string {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function onAdmin<T>(task: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await task(client);
  } finally {
    await client.end();
  }
}

let probed: Promise<string | null> | undefined;

export function postgresForTests(): Promise<PostgresForTests> {
  probed ??= onAdmin(async (client) => {
    await client.query('SELECT 1');
    return null;
  }).catch((err: Error) => `PostgreSQL is not reachable at ${POSTGRES_URL} (${err.message}); start it to run the cluster suites`);
  return probed.then((reason) => {
    if (reason && process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
    return { skip: reason, createDatabase: () => createDatabase(), createMigratedDatabase };
  });
}

let template: Promise<string> | undefined;

async function createMigratedDatabase(): Promise<ScratchDatabase> {
  template ??= process.env.PAYTONE_TEST_POSTGRES_TEMPLATE
    ? Promise.resolve(process.env.PAYTONE_TEST_POSTGRES_TEMPLATE)
    : migratedTemplate().then((made) => {
        // Dropped when this process ends, as its scratch databases are.
        process.once('beforeExit', () => void made.drop());
        return made.name;
      });
  return createDatabase(await template);
}

/**
 * A database migrated by `paytone migrate`, for scratch databases to copy. Nothing may stay connected to it: a copy
 * needs its template idle.
 */
export async function migratedTemplate(): Promise<{ name: string; drop(): Promise<void> }> {
  const name = `paytone_template_${randomBytes(6).toString('hex')}`;
  await onAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  const migrated = await runNode(CLI, ['migrate'], { DATABASE_URL: urlFor(name) });
  const drop = () => onAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined);
  if (migrated.code !== 0) {
    await drop();
    throw new Error(`paytone migrate failed: ${migrated.stderr}`);
  }
  return { name, drop };
}

async function createDatabase(template?: string): Promise<ScratchDatabase> {
  const name = `paytone_${randomBytes(6).toString('hex')}`;
  await onAdmin((client) => client.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`));
  const url = urlFor(name);
  const pool = new pg.Pool({ connectionString: url, max: 2, idleTimeoutMillis: 100, allowExitOnIdle: true });
  pool.on('error', () => undefined);
  return {
    url,
    name,
    async query(text, values) {
      return (await pool.query(text, values)).rows;
    },
    async allRows() {
      const tables = await pool.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'`);
      const text: string[] = [];
      for (const { name } of tables.rows) text.push(...(await pool.query<{ row: string }>(`SELECT t::text AS row FROM "${name}" t`)).rows.map((r) => r.row));
      return text.join('\n');
    },
    async drop() {
      if (pool.ended) return;
      await pool.end();
      await onAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
