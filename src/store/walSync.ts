/**
 * The WAL's fsync, shared: many commits, one fsync, run on libuv's thread pool so the event loop never waits for
 * the disk. See sqliteDriver.ts for why commits are synced this way.
 *
 * @example
 *   const wal = new WalSync(`${file}-wal`);
 *   wal.wrote();            // after each commit
 *   await wal.durable();    // every commit counted so far is on disk
 */
import fs from 'node:fs';
import { promisify } from 'node:util';

const fsync = promisify(fs.fsync);

/**
 * Syncs the WAL for many commits at once. `wrote()` counts a commit; `durable()` resolves once every commit
 * counted so far has been synced, starting an fsync if none is running, or joining the one after it.
 */
export class WalSync {
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
