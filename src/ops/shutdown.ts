/**
 * Graceful shutdown on SIGTERM or SIGINT: stop taking requests, let the ones in flight finish, let the
 * process's own work finish or leave it durable for the next process, close the database, exit 0.
 *
 * 1. Readiness turns to `draining`, so a balancer that still asks sends new work elsewhere.
 * 2. The HTTP server stops listening; requests in flight are answered (with `Connection: close`).
 * 3. The app closes: queued keypresses are played, gateway calls in flight are answered and committed,
 *    callback POSTs in flight finish, the database closes. Anything not done is in the database already and
 *    is resumed by the next process (or by the others of a cluster).
 * 4. Exit 0. If all this takes longer than the grace period, exit 1 anyway: what was not finished is still
 *    durable. A second signal exits at once, with 128 + the signal's number, as shells report it.
 *
 * @example
 *   installGracefulShutdown({ server, app, log, graceMs: config.shutdownGraceMs });
 */
import os from 'node:os';
import type { Logger } from '../log.js';

export interface ShutdownOptions {
  server: { close(): Promise<unknown> };
  app: { close(): Promise<void>; ops: { health: { beginDraining(): void } } };
  log: Logger;
  graceMs: number;
  /** `process` by default; tests pass an emitter. */
  signals?: Pick<NodeJS.Process, 'on'>;
  exit?: (code: number) => void;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export function installGracefulShutdown(options: ShutdownOptions): void {
  const signals = options.signals ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const { log } = options;
  let closing = false;

  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      log.warn({ signal }, 'second signal: exiting at once; unfinished work is resumed by the next start');
      exit(128 + os.constants.signals[signal]);
      return;
    }
    closing = true;
    log.info({ signal, graceMs: options.graceMs }, 'shutting down: no new requests; finishing what is in flight');
    const grace = setTimeout(() => {
      log.error({ graceMs: options.graceMs }, 'shutdown grace period expired; unfinished work is resumed by the next start');
      exit(1);
    }, options.graceMs);
    grace.unref();
    void drain(options)
      .then(() => {
        clearTimeout(grace);
        log.info('shut down cleanly');
        exit(0);
      })
      .catch((error: unknown) => {
        clearTimeout(grace);
        log.error({ error: error instanceof Error ? error.message : String(error) }, 'shutdown failed; unfinished work is resumed by the next start');
        exit(1);
      });
  };
  // Handled for as long as the process lives, so that a second signal reaches `onSignal` too.
  for (const name of SIGNALS) signals.on(name, onSignal);
}

async function drain(options: ShutdownOptions): Promise<void> {
  options.app.ops.health.beginDraining();
  await options.server.close();
  await options.app.close();
}
