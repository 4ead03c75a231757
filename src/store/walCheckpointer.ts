/**
 * Checkpoints the embedded database's WAL from a worker thread with a connection of its own, so the copy into the
 * database file and its fsyncs never stall the event loop.
 *
 * A PASSIVE checkpoint never blocks the server's writes or reads, but on its own it never lets the WAL start over:
 * SQLite rewinds the WAL only when a write transaction begins after every frame has been copied, and under steady
 * load a new commit always lands first. The WAL would grow until SQLite's automatic checkpoint (the server's
 * backstop threshold) ran inside a commit on the event loop, copying and syncing while every request and keypress
 * waited: tens to hundreds of milliseconds, every few seconds while callers typed. So once a pass finds the WAL past
 * `restartFrames`, the worker says so; the driver then starts no new batch until a checkpoint it asks for has
 * copied everything (see CommitBatch), and the next commit rewinds the WAL. The event loop goes on meanwhile; only
 * writes wait, for about one checkpoint.
 *
 * @example
 *   const checkpointer = startWalCheckpointer(file, { onWalLarge: () => batch.rewindWal() });
 *   await checkpointer.checkpoint();   // every committed frame copied into the database file
 *   await checkpointer.stop();
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface WalCheckpointerOptions {
  /** Told when a pass finds the WAL at least `restartFrames` long. */
  onWalLarge(): void;
  /** How long the WAL may grow, in 4 KB frames, before it should start over; 8,192 (32 MB) by default. */
  restartFrames?: number;
  /** Pause between two passes, in ms; 250 by default. */
  intervalMs?: number;
}

/** A checkpoint asked for that the worker does not answer (it died, or the disk hangs) stops holding writes back. */
const CHECKPOINT_WAIT_LIMIT_MS = 5000;

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
function checkpoint() {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    return result.log;
  } catch {
    return 0;
  }
}
const timer = setInterval(() => {
  if (checkpoint() >= workerData.restartFrames) parentPort.postMessage('wal-large');
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message === 'checkpoint') {
    checkpoint();
    parentPort.postMessage('checkpointed');
    return;
  }
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface WalCheckpointer {
  /** Resolves once a checkpoint run now has finished (or the worker could not answer). */
  checkpoint(): Promise<void>;
  stop(): Promise<void>;
}

export function startWalCheckpointer(file: string, options: WalCheckpointerOptions): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const workerData = { file, driver, intervalMs: options.intervalMs ?? 250, restartFrames: options.restartFrames ?? 8192 };
  const worker = new Worker(WORKER, { eval: true, workerData });
  worker.unref();
  let answers: Array<() => void> = [];
  const answerAll = () => {
    const waiting = answers;
    answers = [];
    for (const answer of waiting) answer();
  };
  worker.on('message', (message) => {
    if (message === 'wal-large') options.onWalLarge();
    else if (message === 'checkpointed') answerAll();
  });
  // A checkpoint that cannot run only lets the WAL grow until the server's own threshold checkpoints it.
  worker.on('error', answerAll);
  let gone = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  void exited.then(() => {
    gone = true;
    answerAll();
  });
  return {
    checkpoint() {
      if (gone) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const limit = setTimeout(resolve, CHECKPOINT_WAIT_LIMIT_MS);
        answers.push(() => {
          clearTimeout(limit);
          resolve();
        });
        worker.postMessage('checkpoint');
      });
    },
    async stop() {
      // Held open until it has closed its connection (it does not keep the process alive otherwise).
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
