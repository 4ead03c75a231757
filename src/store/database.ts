/**
 * Opens the embedded SQLite database (WAL, secure_delete) behind Kysely and brings its schema up to date.
 *
 * @example
 *   const db = await openDatabase({ dataDir: './data' });
 */
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { migrationProvider } from './migrations.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export interface DatabaseOptions {
  dataDir: string;
}

export const DATABASE_FILE = 'paytone.db';

export async function openDatabase(options: DatabaseOptions): Promise<Db> {
  fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(options.dataDir, DATABASE_FILE);
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // Deleted rows (erased sessions' sealed secrets) are overwritten with zeros, not left in free pages.
  sqlite.pragma('secure_delete = ON');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // Only the server's user may read the database; SQLite gives its WAL and shm files the same mode.
  for (const suffix of ['', '-wal', '-shm']) {
    if (fs.existsSync(file + suffix)) fs.chmodSync(file + suffix, 0o600);
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrate(db);
  return db;
}

export async function migrate(db: Db): Promise<void> {
  // Branches land migrations in any order; each applies once whatever its position.
  const migrator = new Migrator({ db, provider: migrationProvider, allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}
