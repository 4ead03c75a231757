/**
 * paytone's HTTP server inside the test process, on a fresh data dir with one account: for tests of what the HTTP
 * layer answers (headers, refusals), by `server.inject` or over a socket, without a child process.
 *
 * @example
 *   const { app, server } = await startInProcess(SID, TOKEN);
 *   const answer = await server.inject({ method: 'GET', url: '/healthz' });
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.js';
import { createAppContext, type AppContext } from '../../src/app/context.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';

export async function startInProcess(accountSid: string, authToken: string): Promise<{ app: AppContext; server: FastifyInstance; close(): Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-in-process-'));
  const app = await createAppContext(loadConfig({ PAYTONE_DATA_DIR: dataDir }), createLogger({ level: 'silent' }));
  await app.accounts.createAccount({ sid: accountSid, authToken });
  const server = buildServer(app);
  await server.ready();
  return {
    app,
    server,
    async close() {
      await server.close();
      await app.close();
    },
  };
}
