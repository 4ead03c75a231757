/**
 * Opens paytone's database behind Kysely: the embedded SQLite file (WAL, secure_delete) by default, or
 * PostgreSQL when a `DATABASE_URL` is given. One query layer and one list of migrations serve both.
 *
 * SQLite is brought up to date on open, so `npm start` stays one command. PostgreSQL is shared by every process
 * of a cluster and is migrated on purpose, by `paytone migrate`; a server that finds it behind refuses to start.
 *
 * @example
 *   const db = await openDatabase({ dataDir: './data' });
 *   const shared = await openDatabase({ dataDir: './data', databaseUrl: 'postgres://paytone@db/paytone' });
 */
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import type pg from 'pg';
import { pgPackage } from '../ops/onFirstUse.js';
import { type CompiledQuery, Kysely, Migrator, PostgresAdapter, PostgresDialect, type QueryResult } from 'kysely';
import { GroupCommitSqliteDialect } from './sqliteDriver.js';
import { migrationProvider } from './migrations.js';
import type { DatabaseTraffic } from './databaseTraffic.js';
import { pipelinedInTurn, pipelinedTransaction } from './pipelinedTransaction.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export interface DatabaseOptions {
  dataDir: string;
  /** `postgres://...`: PostgreSQL instead of the embedded SQLite file. */
  databaseUrl?: string;
  /**
   * What to do with pending migrations: `auto` applies them (the SQLite default), `require` refuses to open
   * (the PostgreSQL default: a shared database is migrated on purpose), `skip` opens the database as it is
   * (for `paytone migrate`).
   */
  migrations?: 'auto' | 'require' | 'skip';
  /** PostgreSQL only: the most connections this process opens for queries (8 by default; see `SESSION_LOCK_CONNECTIONS`). */
  maxConnections?: number;
  /** PostgreSQL only: counts the round trips and statements of this database's connections. */
  traffic?: DatabaseTraffic;
}

export const DATABASE_FILE = 'paytone.db';

/** Thrown when PostgreSQL is behind the code's migrations; the message is the one line an operator needs. */
export class DatabaseNotMigratedError extends Error {}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

export async function openDatabase(options: DatabaseOptions): Promise<Db> {
  const db = options.databaseUrl ? openPostgres(options.databaseUrl, options.maxConnections ?? 8, options.traffic) : openSqlite(options.dataDir);
  const mode = options.migrations ?? (options.databaseUrl ? 'require' : 'auto');
  try {
    if (mode === 'auto') await migrate(db);
    if (mode === 'require') {
      const { pending } = await migrationStatus(db);
      if (pending.length > 0) {
        throw new DatabaseNotMigratedError(
          `the database has ${pending.length} pending migration(s) (${pending.join(', ')}): run \`paytone migrate\` with the same DATABASE_URL, then start paytone again`,
        );
      }
    }
  } catch (err) {
    await db.destroy();
    if (err instanceof DatabaseNotMigratedError || !options.databaseUrl) throw err;
    throw new Error(`cannot use the database at ${redactUrl(options.databaseUrl)}: ${(err as Error).message}`);
  }
  return db;
}

function openSqlite(dataDir: string): Db {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, DATABASE_FILE);
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // Deleted rows (erased sessions' sealed secrets) are overwritten with zeros, not left in free pages.
  sqlite.pragma('secure_delete = ON');
  // Commits are synced by the driver, many per fsync and off the event loop (see sqliteDriver.ts), instead of
  // one blocking fsync each.
  sqlite.pragma('synchronous = NORMAL');
  // Checkpoints run in a worker, which also has the WAL start over at 32 MB (walCheckpointer.ts); this one, run
  // inside a commit at 40 MB of WAL, is only the backstop should the worker stop.
  sqlite.pragma('wal_autocheckpoint = 10000');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // Only the server's user may read the database; SQLite gives its WAL and shm files the same mode.
  for (const suffix of ['', '-wal', '-shm']) {
    if (fs.existsSync(file + suffix)) fs.chmodSync(file + suffix, 0o600);
  }
  const dialect = new GroupCommitSqliteDialect({ database: sqlite, file });
  const db = new Kysely<Database>({ dialect });
  embeddedDialects.set(db, dialect);
  return db;
}

/** The embedded database's dialect, for what Kysely has no word for: group fsync and write sets. */
const embeddedDialects = new WeakMap<Db, GroupCommitSqliteDialect>();

/**
 * Resolves once every change committed so far is on disk: what the HTTP layer waits for before it acknowledges a
 * change. Commits are already durable against a process crash; this makes them durable against a power loss. At
 * once on PostgreSQL, whose commit is durable when it returns.
 *
 * @example
 *   await sessions.commit(...);
 *   await durable(db);   // now answer 201
 */
export function durable(db: Db): Promise<void> {
  return embeddedDialects.get(db)?.durable() ?? Promise.resolve();
}

/**
 * Runs statements that commit together or not at all, and resolves with their results in order once they have
 * committed. On the embedded database they run back to back in one savepoint of the open batch, without a
 * transaction's bookkeeping (sqliteDriver.ts); on PostgreSQL as one transaction in one round trip
 * (pipelinedTransaction.ts).
 *
 * @example
 *   const [session, event] = await writeTogether(db, [updateSession.compile(db, change), insertEvent.compile(db, row)]);
 */
export function writeTogether(db: Db, queries: readonly CompiledQuery[]): Promise<QueryResult<unknown>[]> {
  const embedded = embeddedDialects.get(db);
  if (embedded) return embedded.runTogether(queries);
  if (queries.length === 1) return db.executeQuery(queries[0]!).then((result) => [result]);
  const pool = postgresPools.get(db);
  if (pool) return pipelinedTransaction(pool, queries);
  return db.transaction().execute((trx) => executeInOrder(trx, queries));
}

/**
 * Writes one statement that commits on its own. On PostgreSQL those written in the same turn of the event loop go
 * together, one transaction in one round trip (pipelinedTransaction.ts); on the embedded database, as
 * `writeTogether`, it joins the open commit batch.
 */
export async function writeInTurn(db: Db, query: CompiledQuery): Promise<QueryResult<unknown>> {
  const pool = postgresPools.get(db);
  if (pool) return pipelinedInTurn(pool, query);
  const [result] = await writeTogether(db, [query]);
  return result!;
}

/** Runs compiled statements one after another on `db` (a transaction, usually), and returns their results in order. */
export async function executeInOrder(db: Db, queries: readonly CompiledQuery[]): Promise<QueryResult<unknown>[]> {
  const results: QueryResult<unknown>[] = [];
  for (const query of queries) results.push(await db.executeQuery(query));
  return results;
}

/**
 * Every time column is an epoch-millisecond `bigint`; node-postgres hands int8 back as a string to be safe
 * beyond 2^53, which epoch milliseconds never reach. Parsing them here keeps both dialects returning numbers.
 */
const INT8_OID = 20;
const postgresTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pgPackage().types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** A node-postgres pool whose int8 columns come back as numbers (see `postgresTypes`), its traffic counted in `traffic`. */
export function postgresPool(databaseUrl: string, max: number, more: pg.PoolConfig = {}, traffic?: DatabaseTraffic): pg.Pool {
  const pool = new (pgPackage().Pool)({ connectionString: databaseUrl, max, types: postgresTypes, application_name: 'paytone', keepAlive: true, ...more });
  if (traffic) pool.on('connect', (client) => traffic.watch(client));
  // An idle connection the server dropped (restart, failover) must not take the process down; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

/** The query pool of each PostgreSQL database, whose connections pipeline (`pipelinedTransaction`). */
const postgresPools = new WeakMap<Db, pg.Pool>();

function openPostgres(databaseUrl: string, maxConnections: number, traffic?: DatabaseTraffic): Db {
  // Pipelining changes nothing for a caller that awaits each query (Kysely does); it lets a transaction go as one.
  const pool = postgresPool(databaseUrl, maxConnections, { pipeline: true } as pg.PoolConfig, traffic);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  postgresPools.set(db, pool);
  return db;
}

export function dialectOf(db: Db): 'sqlite' | 'postgres' {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** Paytone's migrator for `db`. Branches land migrations in any order; each applies once whatever its position. */
export const migratorFor = (db: Db): Migrator => new Migrator({ db, provider: migrationProvider, allowUnorderedMigrations: true });

export interface MigrationStatus {
  applied: string[];
  /** Migrations this build has that the database has not applied yet. */
  pending: string[];
}

/**
 * Which migrations the database has and which it still needs (by name). Throws when the database cannot be reached.
 *
 * @example
 *   const { pending } = await migrationStatus(db); // [] when the schema is current
 */
export async function migrationStatus(db: Db): Promise<MigrationStatus> {
  const infos = await migratorFor(db).getMigrations();
  return {
    applied: infos.filter((m) => m.executedAt !== undefined).map((m) => m.name),
    pending: infos.filter((m) => m.executedAt === undefined).map((m) => m.name),
  };
}

/**
 * Applies every pending migration and returns the names it applied. Kysely's Migrator takes a lock table, so
 * two processes migrating at once apply each migration once.
 */
export async function migrate(db: Db): Promise<string[]> {
  const { error, results } = await migratorFor(db).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  if (!URL.canParse(url)) return 'the configured DATABASE_URL';
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
