/**
 * Checkpoints the embedded database's WAL from a worker thread with a connection of its own, so the copy into the
 * database file and its fsyncs never stall the event loop. SQLite's own automatic checkpoint runs inside whichever
 * commit crosses the threshold, blocking every request behind it for as long as the disk takes.
 *
 * A PASSIVE checkpoint never blocks the server's writes or reads; the server keeps a far higher automatic threshold
 * as a backstop, should this worker fall behind.
 *
 * @example
 *   const checkpointer = startWalCheckpointer(file);
 *   await checkpointer.stop();
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const CHECKPOINT_INTERVAL_MS = 250;

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface WalCheckpointer {
  stop(): Promise<void>;
}

export function startWalCheckpointer(file: string): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { file, driver, intervalMs: CHECKPOINT_INTERVAL_MS } });
  worker.unref();
  // A checkpoint that cannot run only lets the WAL grow until the server's own threshold checkpoints it.
  worker.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      // Held open until it has closed its connection (it does not keep the process alive otherwise).
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
