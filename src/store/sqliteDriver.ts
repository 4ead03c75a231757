/**
 * The embedded database's Kysely driver: better-sqlite3 with prepared statements kept for reuse, batched commits
 * and group fsync.
 *
 * Commits: the transactions and writes of one turn of the event loop share one SQLite commit (commitBatch.ts);
 * each Kysely transaction is a savepoint inside it, so one that fails rolls back alone. SQLite writes the commit
 * into its WAL file without syncing it (`synchronous = NORMAL`): from then on it survives the process being killed
 * (-9), and only then does the transaction's `commit` resolve. `durable()` then syncs the WAL off the event loop,
 * one fsync for every commit since the last one; the HTTP layer waits for it before it acknowledges a change, so an
 * acknowledged request survives a power loss too.
 *
 * Why: with `synchronous = FULL` every commit runs its own fsync inside the call, blocking the event loop for the
 * disk's whole flush (milliseconds, hundreds on a busy disk) while nothing else can run, keypresses and callbacks
 * included. And each commit writes every page it touched to the WAL: a keypress, the callback record before it and
 * the request after it each rewrote the same index pages. Here work inside the process goes on at memory speed,
 * changes made together share one commit, and requests that arrive together share one fsync.
 *
 * @example
 *   const db = new Kysely<Database>({ dialect: new GroupCommitSqliteDialect({ database: sqlite, file }) });
 */
import type SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  SelectQueryNode,
  SqliteDialect,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
} from 'kysely';

import { startWalCheckpointer, type WalCheckpointer, type WalCheckpointerOptions } from './walCheckpointer.js';
import { WalSync } from './walSync.js';
import { CommitBatch } from './commitBatch.js';
import { BoundedMemory } from '../domain/boundedMemory.js';

/** Distinct SQL texts kept prepared; `IN (...)` lists of every length make a few hundred at most. */
const STATEMENT_CACHE_LIMIT = 512;

export interface GroupCommitSqliteConfig {
  database: SQLite.Database;
  /** The database file; its WAL is `<file>-wal`, created by SQLite on the first write in WAL mode. */
  file: string;
  /** When the WAL starts over and how often it is checkpointed (tests shorten them); see walCheckpointer.ts. */
  checkpoints?: Omit<WalCheckpointerOptions, 'onWalLarge'>;
}

export class GroupCommitSqliteDialect extends SqliteDialect {
  readonly #config: GroupCommitSqliteConfig;
  readonly #wal: WalSync;
  readonly #batch: CommitBatch;
  readonly #checkpointer: WalCheckpointer;
  #driver: GroupCommitSqliteDriver | null = null;

  constructor(config: GroupCommitSqliteConfig) {
    super({ database: config.database });
    this.#config = config;
    this.#wal = new WalSync(`${config.file}-wal`);
    this.#checkpointer = startWalCheckpointer(config.file, { ...config.checkpoints, onWalLarge: () => this.#batch.rewindWal() });
    this.#batch = new CommitBatch(config.database, () => this.#wal.wrote(), () => this.#checkpointer.checkpoint());
  }

  override createDriver(): Driver {
    this.#driver = new GroupCommitSqliteDriver(this.#config, this.#wal, this.#batch, this.#checkpointer);
    return this.#driver;
  }

  /** Runs statements that commit together or not at all (see `BatchedConnection.runTogether`). */
  runTogether(queries: readonly CompiledQuery[]): Promise<QueryResult<unknown>[]> {
    if (!this.#driver) throw new Error('the database is not open');
    return this.#driver.runTogether(queries);
  }

  /** Resolves once every change made so far is committed (in the WAL: it survives the process being killed). */
  committed(): Promise<void> {
    return this.#batch.committed();
  }

  /** Resolves once every change made so far is on disk (it survives a power loss). */
  async durable(): Promise<void> {
    await this.#batch.committed();
    await this.#wal.durable();
  }
}

/**
 * Turns on the one connection: a transaction holds it from begin to commit (its statements run between awaits,
 * and nothing else may run inside its savepoint); a single statement takes it for no longer than its own run.
 */
class ConnectionTurns {
  #busy: Promise<void> | null = null;
  #free: (() => void) | null = null;

  get busy(): boolean {
    return this.#busy !== null;
  }

  async take(): Promise<void> {
    while (this.#busy !== null) await this.#busy;
    this.#busy = new Promise((resolve) => (this.#free = resolve));
  }

  /** Resolves when no transaction holds the connection. */
  async whenFree(): Promise<void> {
    while (this.#busy !== null) await this.#busy;
  }

  give(): void {
    const free = this.#free;
    this.#busy = null;
    this.#free = null;
    free?.();
  }
}

class GroupCommitSqliteDriver implements Driver {
  readonly #db: SQLite.Database;
  readonly #wal: WalSync;
  readonly #batch: CommitBatch;
  readonly #statements: PreparedStatements;
  readonly #turns = new ConnectionTurns();
  readonly #checkpointer: WalCheckpointer;

  constructor(config: GroupCommitSqliteConfig, wal: WalSync, batch: CommitBatch, checkpointer: WalCheckpointer) {
    this.#db = config.database;
    this.#wal = wal;
    this.#batch = batch;
    this.#statements = new PreparedStatements(this.#db);
    this.#checkpointer = checkpointer;
  }

  async init(): Promise<void> {}

  /** Every caller gets its own handle on the one connection; a transaction's handle takes turns at `begin`. */
  async acquireConnection(): Promise<DatabaseConnection> {
    return new BatchedConnection(this.#db, this.#statements, this.#batch, this.#turns);
  }

  runTogether(queries: readonly CompiledQuery[]): Promise<QueryResult<unknown>[]> {
    return new BatchedConnection(this.#db, this.#statements, this.#batch, this.#turns).runTogether(queries);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as BatchedConnection).begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as BatchedConnection).commit();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as BatchedConnection).rollback();
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    await this.#turns.whenFree();
    this.#batch.flush();
    await this.#checkpointer.stop();
    await this.#wal.close();
    this.#db.close();
  }
}

class PreparedStatements {
  readonly #statements = new BoundedMemory<string, SQLite.Statement>(STATEMENT_CACHE_LIMIT);

  constructor(private readonly db: SQLite.Database) {}

  get(sql: string): SQLite.Statement {
    return this.#statements.remember(sql, () => this.db.prepare(sql));
  }
}

const SAVEPOINT = 'kysely_transaction';

class BatchedConnection implements DatabaseConnection {
  /** This handle runs a transaction: it holds the connection's turn and the batch open until it ends. */
  #inTransaction = false;

  constructor(
    private readonly db: SQLite.Database,
    private readonly statements: PreparedStatements,
    private readonly batch: CommitBatch,
    private readonly turns: ConnectionTurns,
  ) {}

  async begin(): Promise<void> {
    // A batch may not open while the WAL is being rewound (CommitBatch.opening): wait for that without the turn.
    for (;;) {
      await this.batch.opening();
      await this.turns.take();
      if (!this.batch.isRewinding || this.batch.isOpen) break;
      this.turns.give();
    }
    this.#inTransaction = true;
    try {
      this.batch.join();
      this.batch.hold();
      this.statements.get(`savepoint ${SAVEPOINT}`).run();
    } catch (err) {
      this.#end();
      throw err;
    }
  }

  async commit(): Promise<void> {
    let committed: Promise<void>;
    try {
      this.statements.get(`release ${SAVEPOINT}`).run();
      // Asked before the turn is given back: giving it back may commit the batch at once.
      committed = this.batch.committed();
    } catch (err) {
      this.batch.lost(err);
      throw err;
    } finally {
      this.#end();
    }
    await committed;
  }

  async rollback(): Promise<void> {
    try {
      this.#undo();
    } finally {
      this.#end();
    }
  }

  /** Takes back what the savepoint holds; SQLite may already have rolled the whole batch back (see CommitBatch.lost). */
  #undo(): void {
    if (!this.db.inTransaction) return;
    this.statements.get(`rollback to ${SAVEPOINT}`).run();
    this.statements.get(`release ${SAVEPOINT}`).run();
  }

  /**
   * Statements known before the first one runs, committed together or not at all: they run back to back in one
   * savepoint of the open batch, with no await between them, so no other caller can run inside it and it needs no
   * turn of the connection. What a Kysely transaction spends on its own bookkeeping (a connection, a turn, an
   * executor and several promises per statement) costs more than the statements of a keypress take to run.
   * Resolves with each statement's result once the batch is committed; a statement that fails takes back the others.
   */
  async runTogether(queries: readonly CompiledQuery[]): Promise<QueryResult<unknown>[]> {
    await this.#writable();
    this.batch.join();
    const results: QueryResult<unknown>[] = [];
    // One statement is all or nothing by itself.
    const alone = queries.length === 1;
    if (!alone) this.statements.get(`savepoint ${SAVEPOINT}`).run();
    try {
      for (const query of queries) results.push(this.#run(this.statements.get(query.sql), query));
      if (!alone) this.statements.get(`release ${SAVEPOINT}`).run();
    } catch (err) {
      if (!alone) this.#undo();
      throw err;
    }
    await this.batch.committed();
    return results;
  }

  /** Outside a transaction, a write waits until no transaction holds the connection and a batch may open. */
  async #writable(): Promise<void> {
    for (;;) {
      if (this.turns.busy) await this.turns.whenFree();
      else if (this.batch.isRewinding && !this.batch.isOpen) await this.batch.opening();
      else return;
    }
  }

  #end(): void {
    if (!this.#inTransaction) return;
    this.#inTransaction = false;
    this.batch.release();
    this.turns.give();
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.statements.get(compiledQuery.sql);
    if (this.#inTransaction) return this.#run<R>(statement, compiledQuery);
    // Outside a transaction: never inside another caller's savepoint, and a read sees only committed changes.
    if (statement.readonly) {
      for (;;) {
        if (this.turns.busy) await this.turns.whenFree();
        else if (this.batch.isOpen) await this.batch.committed().catch(() => undefined);
        else return this.#run<R>(statement, compiledQuery);
      }
    }
    const [result] = await this.runTogether([compiledQuery]);
    return result as QueryResult<R>;
  }

  #run<R>(statement: SQLite.Statement, compiledQuery: CompiledQuery): QueryResult<R> {
    const parameters = compiledQuery.parameters as unknown[];
    try {
      if (statement.reader) return { rows: statement.all(parameters) as R[] };
      const { changes, lastInsertRowid } = statement.run(parameters);
      return {
        numAffectedRows: changes === undefined || changes === null ? undefined : BigInt(changes),
        insertId: lastInsertRowid === undefined || lastInsertRowid === null ? undefined : BigInt(lastInsertRowid),
        rows: [],
      };
    } catch (err) {
      this.batch.lost(err);
      throw err;
    }
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(compiledQuery.query)) throw new Error('SQLite streams select queries only');
    // A statement being iterated cannot serve another query; the rows are read at once so the connection is free.
    const { rows } = await this.executeQuery<R>(compiledQuery);
    for (const row of rows) yield { rows: [row] };
  }
}
