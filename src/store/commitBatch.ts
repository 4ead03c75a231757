/**
 * Many transactions, one SQLite commit. Writes join the open batch (an outer `BEGIN` on the one connection); each
 * Kysely transaction is a savepoint inside it. The batch commits once the event loop has run everything that was
 * ready (a `setImmediate` after it opened), so the requests, keypresses and callback records of one turn share one
 * commit: one pass over the WAL for the B-tree pages they all touch, instead of one per change.
 *
 * Nobody acts on a change before its batch has committed: a transaction's commit, and a write outside one, resolve
 * only then, and reads outside a transaction wait for it, so no caller, callback or answer ever sees a change that
 * a crash could still take back. A failed commit fails every change in the batch, as one failed transaction would.
 *
 * When the WAL has grown long, the batch rewinds it: once no batch is open, none opens until the checkpointer has
 * copied every frame, so the next commit starts the WAL over (walCheckpointer.ts says why).
 *
 * @example
 *   batch.join();                       // BEGIN if no batch is open
 *   db.prepare('insert ...').run(...);
 *   await batch.committed();            // the insert is in the WAL
 */
import type SQLite from 'better-sqlite3';

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

export class CommitBatch {
  #open = false;
  #waiters: Waiter[] = [];
  #flushQueued = false;
  /** A transaction in progress: the batch cannot commit in the middle of one. */
  #held = false;
  #flushWanted = false;
  /** The WAL should start over: the next time no batch is open, none opens until a full checkpoint has run. */
  #rewindWanted = false;
  #rewinding: Promise<void> | null = null;
  readonly #begin: SQLite.Statement;
  readonly #commit: SQLite.Statement;

  constructor(
    private readonly db: SQLite.Database,
    /** Called after each commit (the WAL now holds it). */
    private readonly onCommit: () => void,
    /** Copies every committed WAL frame into the database file, off the event loop (walCheckpointer.ts). */
    private readonly checkpoint: () => Promise<void>,
  ) {
    this.#begin = db.prepare('begin');
    this.#commit = db.prepare('commit');
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /**
   * Resolves when a new batch may open. While the WAL is being rewound none may: SQLite starts the WAL over only
   * for a write transaction that began after a checkpoint copied every frame, so nothing may commit in between.
   */
  async opening(): Promise<void> {
    while (this.#rewinding !== null) await this.#rewinding;
  }

  get isRewinding(): boolean {
    return this.#rewinding !== null;
  }

  /** The WAL has grown long (walCheckpointer.ts): rewind it once no batch is open. */
  rewindWal(): void {
    this.#rewindWanted = true;
    this.#rewindIfClosed();
  }

  #rewindIfClosed(): void {
    if (!this.#rewindWanted || this.#open || this.#rewinding !== null) return;
    this.#rewindWanted = false;
    this.#rewinding = this.checkpoint().finally(() => {
      this.#rewinding = null;
    });
  }

  /** Opens a batch if none is, and makes sure it commits after this turn of the event loop. */
  join(): void {
    if (!this.#open) {
      this.#begin.run();
      this.#open = true;
    }
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    setImmediate(() => {
      this.#flushQueued = false;
      this.#flushWanted = true;
      this.#flushIfFree();
    });
  }

  /** Resolves once everything written so far is committed; rejects if that commit failed. */
  committed(): Promise<void> {
    if (!this.#open) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** A transaction starts: the batch stays open until `release`. */
  hold(): void {
    this.#held = true;
  }

  release(): void {
    this.#held = false;
    this.#flushIfFree();
  }

  /** Commits now whatever is open (shutdown). */
  flush(): void {
    this.#flushWanted = true;
    this.#flushIfFree();
  }

  /**
   * SQLite rolled the whole batch back by itself (an I/O error, a full disk): every change in it is gone, and every
   * caller waiting for it hears so.
   */
  lost(err: unknown): void {
    if (!this.#open || this.db.inTransaction) return;
    this.#settle(err);
  }

  #flushIfFree(): void {
    if (!this.#flushWanted || this.#held || !this.#open) return;
    this.#flushWanted = false;
    try {
      this.#commit.run();
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('rollback');
      this.#settle(err);
      return;
    }
    this.onCommit();
    this.#settle(null);
  }

  #settle(err: unknown): void {
    this.#open = false;
    this.#flushWanted = false;
    const waiters = this.#waiters;
    this.#waiters = [];
    this.#rewindIfClosed();
    for (const waiter of waiters) {
      if (err === null) waiter.resolve();
      else waiter.reject(err);
    }
  }
}
