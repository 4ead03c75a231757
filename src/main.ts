/**
 * `npm start`: one process serves the Twilio-compatible API, the sandbox telephony and the callbacks.
 */
import { loadConfig, ConfigError } from './config.js';
import { createLogger } from './log.js';
import { createAppContext } from './app/context.js';
import { bootstrapAccount } from './app/bootstrap.js';
import { buildServer } from './api/server.js';
import { installGracefulShutdown } from './ops/shutdown.js';
import { SipService } from './telephony/sipService.js';
import { RealCalls } from './telephony/realCalls.js';
import { MediaClockMetrics } from './ops/mediaMetrics.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`paytone: configuration error\n${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  for (const line of config.unknownVariables) process.stderr.write(`paytone: warning: ${line}\n`);
  const log = createLogger({ level: config.logLevel });
  const app = await createAppContext(config, log);
  // Each process of a cluster has its own data dir: left to itself, each would make its own development account.
  if (config.databaseUrl && !config.accountSid && !config.authToken) {
    log.info('no start-up account: in a cluster, set PAYTONE_ACCOUNT_SID and PAYTONE_AUTH_TOKEN, or create accounts with `paytone accounts create`');
  } else {
    await bootstrapAccount({
      accounts: app.accounts,
      env: process.env,
      dataDir: config.dataDir,
      print: (text) => process.stdout.write(`${text}\n`),
      toTerminal: process.stdout.isTTY === true,
    });
  }
  // SIP first: an explicit PAYTONE_SIP_LISTEN that cannot be had stops start-up before the API takes requests.
  const sip = config.sip ? await SipService.start(config.sip, log, { beats: new MediaClockMetrics(app.ops.metrics.registry) }) : null;
  if (sip) {
    const calls = new RealCalls({ sip, lifecycle: app.callProgress, runner: app.callRunner, phoneNumbers: app.phoneNumbers, auditLog: app.auditLog, trunk: config.sip!.trunk, log, taps: app.callKeypads.open, voices: app.callVoices });
    sip.serve(calls);
    app.outboundDialer = calls;
  }
  const server = buildServer(app, config.http, config.tls);
  const address = await server.listen({ host: config.host, port: config.port });
  log.info({ address, dataDir: config.dataDir }, 'paytone listening');

  const servers = { close: () => Promise.all([server.close(), sip?.close()]) };
  installGracefulShutdown({ server: servers, app, log, graceMs: config.shutdownGraceMs });
}

main().catch((err: unknown) => {
  process.stderr.write(`paytone: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
