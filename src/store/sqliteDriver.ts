/**
 * The embedded database's Kysely driver: better-sqlite3 with prepared statements kept for reuse, and group
 * commit. SQLite writes each commit into its WAL file without syncing it (`synchronous = NORMAL`): from then on
 * it survives the process being killed (-9), the write being done. `durable()` then syncs the WAL off the event
 * loop, one fsync for every commit since the last one; the HTTP layer waits for it before it acknowledges a
 * change, so an acknowledged request survives a power loss too.
 *
 * Why: with `synchronous = FULL` every commit runs its own fsync inside the call, blocking the event loop for the
 * disk's whole flush (milliseconds, hundreds on a busy disk) while nothing else can run, keypresses and callbacks
 * included. Here work inside the process (a keypress taken, a callback recorded) goes on at memory speed, and
 * requests that arrive together share one fsync.
 *
 * @example
 *   const db = new Kysely<Database>({ dialect: new GroupCommitSqliteDialect({ database: sqlite, file }) });
 */
import fs from 'node:fs';
import { promisify } from 'node:util';
import type SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  SelectQueryNode,
  SqliteDialect,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
} from 'kysely';

import { startWalCheckpointer, type WalCheckpointer } from './walCheckpointer.js';

const fsync = promisify(fs.fsync);

/** Distinct SQL texts kept prepared; `IN (...)` lists of every length make a few hundred at most. */
const STATEMENT_CACHE_LIMIT = 512;

export interface GroupCommitSqliteConfig {
  database: SQLite.Database;
  /** The database file; its WAL is `<file>-wal`, created by SQLite on the first write in WAL mode. */
  file: string;
}

export class GroupCommitSqliteDialect extends SqliteDialect {
  readonly #config: GroupCommitSqliteConfig;
  readonly #wal: WalSync;

  constructor(config: GroupCommitSqliteConfig) {
    super({ database: config.database });
    this.#config = config;
    this.#wal = new WalSync(`${config.file}-wal`);
  }

  override createDriver(): Driver {
    return new GroupCommitSqliteDriver(this.#config, this.#wal);
  }

  /** Resolves once every commit made so far is on disk. */
  durable(): Promise<void> {
    return this.#wal.durable();
  }
}

/**
 * Syncs the WAL for many commits at once. `wrote()` counts a commit; `durable()` resolves once every commit
 * counted so far has been synced, starting an fsync if none is running, or joining the one after it.
 */
class WalSync {
  #fd: number | null = null;
  #written = 0;
  #durable = 0;
  #syncing: Promise<void> | null = null;
  #waiters: Array<{ upTo: number; resolve: () => void; reject: (err: unknown) => void }> = [];

  constructor(private readonly walFile: string) {}

  wrote(): void {
    this.#written += 1;
  }

  durable(): Promise<void> {
    const upTo = this.#written;
    if (this.#durable >= upTo) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ upTo, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#syncing !== null || this.#waiters.length === 0) return;
    const upTo = this.#written;
    this.#syncing = this.#sync().then(
      () => this.#settle(upTo, null),
      (err: unknown) => this.#settle(upTo, err ?? new Error('fsync failed')),
    );
  }

  async #sync(): Promise<void> {
    this.#fd ??= fs.existsSync(this.walFile) ? fs.openSync(this.walFile, 'r') : null;
    // No WAL file yet means nothing was written through it.
    if (this.#fd !== null) await fsync(this.#fd);
  }

  #settle(upTo: number, err: unknown): void {
    if (err === null) this.#durable = Math.max(this.#durable, upTo);
    const done = this.#waiters.filter((w) => w.upTo <= upTo);
    this.#waiters = this.#waiters.filter((w) => w.upTo > upTo);
    for (const waiter of done) {
      if (err === null) waiter.resolve();
      else waiter.reject(err);
    }
    this.#syncing = null;
    this.#pump();
  }

  async close(): Promise<void> {
    while (this.#syncing !== null) await this.#syncing;
    if (this.#fd !== null) fs.closeSync(this.#fd);
    this.#fd = null;
  }
}

class GroupCommitSqliteDriver implements Driver {
  readonly #db: SQLite.Database;
  readonly #wal: WalSync;
  readonly #connection: PreparedConnection;
  readonly #checkpointer: WalCheckpointer;
  #locked: Promise<void> | null = null;
  #unlock: (() => void) | null = null;

  constructor(config: GroupCommitSqliteConfig, wal: WalSync) {
    this.#db = config.database;
    this.#wal = wal;
    this.#checkpointer = startWalCheckpointer(config.file);
    this.#connection = new PreparedConnection(this.#db, this.#wal);
  }

  async init(): Promise<void> {}

  /** SQLite has one connection: callers take turns. */
  async acquireConnection(): Promise<DatabaseConnection> {
    while (this.#locked) await this.#locked;
    this.#locked = new Promise((resolve) => (this.#unlock = resolve));
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    const unlock = this.#unlock;
    this.#locked = null;
    this.#unlock = null;
    unlock?.();
  }

  async destroy(): Promise<void> {
    await this.#checkpointer.stop();
    await this.#wal.close();
    this.#db.close();
  }
}

class PreparedConnection implements DatabaseConnection {
  readonly #statements = new Map<string, SQLite.Statement>();

  constructor(
    private readonly db: SQLite.Database,
    private readonly wal: WalSync,
  ) {}

  #prepared(sql: string): SQLite.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      if (this.#statements.size >= STATEMENT_CACHE_LIMIT) this.#statements.delete(this.#statements.keys().next().value!);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.#prepared(compiledQuery.sql);
    const parameters = compiledQuery.parameters as unknown[];
    if (statement.reader) return { rows: statement.all(parameters) as R[] };
    const { changes, lastInsertRowid } = statement.run(parameters);
    // A write outside a transaction, or the commit that ends one, has reached the WAL.
    if (!this.db.inTransaction) this.wal.wrote();
    return {
      numAffectedRows: changes === undefined || changes === null ? undefined : BigInt(changes),
      insertId: lastInsertRowid === undefined || lastInsertRowid === null ? undefined : BigInt(lastInsertRowid),
      rows: [],
    };
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(compiledQuery.query)) throw new Error('SQLite streams select queries only');
    // A statement being iterated cannot serve another query, so streams get their own.
    const statement = this.db.prepare(compiledQuery.sql);
    for (const row of statement.iterate(compiledQuery.parameters as unknown[])) yield { rows: [row as R] };
  }
}
