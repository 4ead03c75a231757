/**
 * Builds paytone from its parts: database, vault, accounts, sessions, callbacks, connectors, telephony.
 * One object the HTTP layer and the CLI share; `close()` stops everything in order.
 *
 * @example
 *   const app = await createAppContext(loadConfig(process.env), createLogger({ level: 'info' }));
 */
import type { Config, RateLimit } from '../config.js';
import type { Logger } from '../log.js';
import { durable, openDatabase } from '../store/database.js';
import { DatabaseTraffic } from '../store/databaseTraffic.js';
import path from 'node:path';
import { Vault } from '../vault/vault.js';
import { VAULT_KEY_FILE } from '../vault/keyFile.js';
import { AccountStore } from '../store/accounts.js';
import { CallStore } from '../store/calls.js';
import { PhoneNumberStore } from '../store/phoneNumbers.js';
import { SessionStore } from '../store/sessions.js';
import { StoredGatewayLedger } from '../store/gatewayLedger.js';
import { CallbackOutbox } from '../callbacks/outbox.js';
import { PayConnectorStore } from '../store/payConnectors.js';
import { SandboxTelephony } from '../telephony/sandboxCalls.js';
import { PaymentSessions } from './paymentSessions.js';
import { CallProgress } from './callProgress.js';
import { twimlProblemReporter } from './twimlProblems.js';
import { NotificationStore } from '../store/notifications.js';
import { VoiceWebhook } from '../callbacks/voiceWebhook.js';
import { TwimlInterpreter } from '../twiml/interpreter.js';
import { TwimlCallRunner } from '../twiml/callRunner.js';
import { systemClock } from '../twiml/clock.js';
import type { OutboundDialer } from '../telephony/callPorts.js';
import { PlacedCalls } from './placedCalls.js';
import { PaymentRequests } from './paymentRequests.js';
import { AuditLogStore } from '../store/auditLog.js';
import { InProcessLiveEventBus, LiveEventFeed } from './liveEvents.js';
import { LiveEventStore } from '../store/liveEvents.js';
import { EventTokens } from '../vault/eventTokens.js';
import type { LiveEvent } from '../domain/liveEvents.js';
import type { CallbackPolicy } from '../domain/callbackPolicy.js';
import { createOps, type OpsContext } from '../ops/wiring.js';
import { KeypadMetrics } from '../ops/keypadMetrics.js';
import { CallKeypads } from '../telephony/keypad/callKeypads.js';
import { ConnectorRegistry } from './connectorRegistry.js';
import { joinCluster } from './cluster.js';
import { PostgresLiveEventBus } from './clusterLiveEvents.js';
import { LeasedOutboxClaims } from '../store/outboxClaims.js';
import { KeypressStore } from '../store/keypresses.js';
import { StoredKeypad } from '../telephony/storedKeypad.js';
import { CALLBACK_RETRY } from '../callbacks/retryPolicy.js';
import { Authenticator } from './credentials.js';
import { AuthFailureLog } from '../domain/authFailureLog.js';
import { CallerKeys } from '../telephony/callerKeys.js';
import { PlayFiles } from '../telephony/prompts/playFiles.js';
import { TimedVoice } from '../telephony/prompts/timedVoice.js';
import { CallerVoice } from '../telephony/prompts/callerVoice.js';
import { SandboxTwiml } from '../telephony/sandboxCall.js';
import { EspeakSynthesizer } from '../telephony/prompts/espeakSynthesizer.js';
import { ServiceSynthesizer } from '../telephony/prompts/serviceSynthesizer.js';
import { RenderedPrompts } from '../telephony/prompts/renderedPrompts.js';
import type { CallVoices } from '../telephony/sipCall.js';
import { endsCall, spokenLiveEvent } from '../domain/liveEvents.js';
import { IvrPayDesk } from './ivrPayDesk.js';
import { payProgressSender } from './payProgress.js';

/** What the HTTP layer needs; storage, vault, outbox and timers stay behind these. */
export interface AppContext {
  log: Logger;
  accounts: AccountStore;
  /** Checks Basic credentials, throttling failures (one per process, shared by every route that takes them). */
  authenticator: Authenticator;
  /** Failed authentications, logged at a bounded rate. */
  authFailures: AuthFailureLog;
  calls: CallStore;
  phoneNumbers: PhoneNumberStore;
  /** Every call's moves: the SIP side's CallLifecycle. */
  callProgress: CallProgress;
  /** Runs a call's TwiML once the SIP side has set it up (the CallRunner port), and redirects it. */
  callRunner: TwimlCallRunner;
  /** The SIP side's dialer for real outbound calls; null while SIP is off (every call is then a sandbox call). */
  outboundDialer: OutboundDialer | null;
  /** Where `POST /Calls.json` sends a call, and how the API hangs one up. */
  placedCalls: PlacedCalls;
  notifications: NotificationStore;
  payments: PaymentRequests;
  connectors: ConnectorRegistry;
  telephony: SandboxTelephony;
  /** Real calls' keypads: each key to the call's open pay session, or to the call's IVR (subscribe). */
  callerKeys: CallerKeys;
  /** How real calls say `<Say>` and play `<Play>` to their callers. */
  callVoices: CallVoices;
  /** The keypads of the real calls this process holds (their taps), and their counts for operators. */
  callKeypads: CallKeypads;
  liveEvents: LiveEventFeed;
  eventTokens: EventTokens;
  callbackPolicy: CallbackPolicy;
  rateLimit: RateLimit | null;
  /** The most live event streams one account may have open at once on this process. */
  maxEventStreams: number;
  /** Proxies whose X-Forwarded-For names the client; empty: the TCP peer is the client. */
  trustedProxies: string[];
  ops: OpsContext;
  auditLog: AuditLogStore;
  /** Resolves once every change committed so far is on disk (store/database.ts `durable`). */
  durable(): Promise<void>;
  close(): Promise<void>;
}

export async function createAppContext(config: Config, log: Logger): Promise<AppContext> {
  const now = Date.now;
  const traffic = new DatabaseTraffic();
  const db = await openDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, traffic });
  const ops = createOps(db, config, log, config.databaseUrl ? traffic : undefined);
  const vault = await Vault.open({ dataDir: config.dataDir, keyHex: config.vaultKeyHex });
  // A development start keeps everything in one folder; one meant for real cards should not keep the key beside
  // the database it protects.
  if (config.vaultKeyHex === undefined && (config.callbackPolicy.mode === 'public' || config.tls !== null)) {
    log.warn(
      { keyFile: path.join(config.dataDir, VAULT_KEY_FILE) },
      'the vault key is a file in the data dir, beside the database it protects: a copy of the data dir (a backup, a snapshot, a stolen disk) ' +
        'opens every sealed card, auth token and connector secret. Give the key as PAYTONE_VAULT_KEY from a secret manager instead, and keep no vault.key in the data dir',
    );
  }
  const cluster = config.databaseUrl
    ? await joinCluster({
        databaseUrl: config.databaseUrl,
        db,
        log,
        traffic,
        onLost(err) {
          // The others now take this process's work over: going on would do it twice.
          log.fatal({ err }, 'lost cluster membership (the database connection ended); exiting');
          process.exit(70);
        },
      })
    : null;
  const accounts = new AccountStore(db, vault, now);
  const authenticator = new Authenticator(accounts, { perCredential: config.authLockout.perCredential, perAddress: config.authLockout.perAddress, now });
  const authFailures = new AuthFailureLog((fields, message) => log.warn(fields, message), now);
  // A quiet minute after a flood still gets its summary line.
  const authFailureRoll = setInterval(() => authFailures.roll(), 10_000).unref();
  const calls = new CallStore(db, { shared: cluster !== null });
  const sessionStore = new SessionStore(db, vault, cluster?.memberId ?? null);
  const ledger = new StoredGatewayLedger(db, now);
  const outbox = new CallbackOutbox({
    db,
    now,
    callbackPolicy: config.callbackPolicy,
    retry: config.callbackRetry,
    logger: log,
    authTokenFor: (accountSid: string) => signingKey(accounts, accountSid),
    onAttempt: (callback, finishedAt) => ops.metrics.callbackAttempted(callback, finishedAt),
    // Longer than one attempt may take, so a live sender keeps its claim for the whole POST.
    claims: cluster ? new LeasedOutboxClaims(db, cluster.memberId, CALLBACK_RETRY.timeoutMs + 5_000) : undefined,
  });
  const liveEventStore = new LiveEventStore(db);
  const liveEventBus = cluster ? await PostgresLiveEventBus.listen(cluster.member.client, liveEventStore, log) : new InProcessLiveEventBus(log);
  const liveEvents = new LiveEventFeed(liveEventStore, liveEventBus);
  const publish = (events: LiveEvent[]) => liveEvents.bus.publish(events);
  const connectors = new ConnectorRegistry({
    store: new PayConnectorStore(db, vault, now),
    ledger,
    sandboxSlowMs: config.sandboxSlowMs,
    gatewayTimeoutMs: config.gatewayTimeoutMs,
    endpointPolicy: config.callbackPolicy,
    log,
  });
  if (config.connectorsFile) await connectors.loadFile(config.connectorsFile, process.env);
  const sessions = new PaymentSessions({
    store: sessionStore,
    outbox,
    connectors,
    rules: { firstDigitTimeoutSeconds: config.firstDigitTimeoutSeconds },
    log,
    now,
    onEvents: publish,
    onGatewayCall: (type, outcome, seconds) => ops.metrics.gatewayCall(type, outcome, seconds),
    coordination: cluster?.coordination,
    // The keypad is built on the sessions (it is their caller); deadlines only ask it once everything is running.
    waitingKeys: { pressedBy: async (callSid, at) => callerKeys.pressedBy(callSid, at) || (await telephony.pressedBy(callSid, at)) },
  });
  const payments = new PaymentRequests(sessions, sessionStore, calls, config.callbackPolicy);
  const callerKeys = new CallerKeys({ sessions: payments, log, masking: keyMaskingRules(config, payments, calls, accounts) });
  const storedKeypad = cluster
    ? new StoredKeypad({ store: new KeypressStore(db, vault), caller: payments, memberId: cluster.memberId, intervalMs: config.dtmfIntervalMs, log, now })
    : undefined;
  const phoneNumbers = new PhoneNumberStore(db);
  const callProgress = new CallProgress({ calls, phoneNumbers, outbox, caller: payments, publish, now, log });
  const notifications = new NotificationStore(db);
  const voiceWebhook = new VoiceWebhook({ authTokenFor: (sid) => signingKey(accounts, sid), policy: config.callbackPolicy, timeoutMs: config.callbackRetry.timeoutMs });
  const notify = twimlProblemReporter({ notifications, log, now });
  const playFiles = new PlayFiles({ policy: config.callbackPolicy, timeoutMs: config.callbackRetry.timeoutMs });
  const timedVoice = new TimedVoice({ clock: systemClock, files: playFiles });
  const espeak = new EspeakSynthesizer();
  const prompts = config.tts
    ? new RenderedPrompts({ primary: new ServiceSynthesizer(config.tts, config.callbackRetry.timeoutMs), fallback: espeak, log })
    : new RenderedPrompts({ primary: espeak, fallback: null, log });
  const interpreter = new TwimlInterpreter({
    fetchTwiml: (sid, request) => voiceWebhook.fetch(sid, request),
    notify,
    async narrate(call, kind, params) {
      await liveEvents.record([spokenLiveEvent(call, kind, params, now())]).catch((err: unknown) => log.warn({ err, callSid: call.sid }, 'what the call says could not reach its live feed'));
    },
    keys: { subscribe: (callSid, listener) => callerKeys.subscribe(callSid, (key) => listener(key)), onPress: (callSid, listener) => callerKeys.onPress(callSid, listener) },
    clock: systemClock,
    policy: config.callbackPolicy,
    pay: { desk: new IvrPayDesk({ payments, sessions, bus: liveEvents.bus }), progress: payProgressSender(voiceWebhook, log) },
  });
  const callRunner = new TwimlCallRunner(interpreter, notify, log);
  const sandboxTwiml = new SandboxTwiml({
    runner: callRunner,
    voice: timedVoice,
    keys: callerKeys,
    log,
    // Another process of a cluster may end the call (the feed tells every process); one process ends its own calls.
    watchEnd: cluster ? (call, ended) => liveEvents.bus.subscribe(call.accountSid, (batch) => {
      if (endsCall(batch, call.sid)) ended();
    }) : undefined,
  });
  // In a cluster, sandbox keys wait in the database and reach pay sessions only: a <Gather> hears none of them.
  const telephony = new SandboxTelephony({ progress: callProgress, caller: payments, dtmfIntervalMs: config.dtmfIntervalMs, log, now, storedKeypad, twiml: sandboxTwiml });
  // In a cluster nothing is resumed wholesale: the sweep takes over only what no live process is doing.
  const resumed = cluster ? 0 : await sessions.resume();
  if (resumed > 0) log.info({ sessions: resumed }, 'resumed unfinished pay sessions');
  // One process holds every SIP leg: after it stops, the real calls it left up have none.
  const orphans = cluster ? 0 : await callProgress.endOrphans();
  if (orphans > 0) log.warn({ calls: orphans }, 'ended the real calls the last run left up: their SIP legs ended with it');
  cluster?.startSweeping(sessions);
  storedKeypad?.start();
  outbox.start();

  const context: AppContext = {
    log,
    accounts,
    authenticator,
    authFailures,
    calls,
    phoneNumbers,
    callProgress,
    callRunner,
    outboundDialer: null,
    placedCalls: new PlacedCalls({ telephony, progress: callProgress, calls, policy: config.callbackPolicy, dialer: () => context.outboundDialer }),
    notifications,
    payments,
    connectors,
    telephony,
    callerKeys,
    callVoices: (callerMedia) => new CallerVoice(callerMedia, { prompts, files: playFiles, log }),
    liveEvents,
    eventTokens: new EventTokens(vault.deriveKey('event-tokens')),
    callKeypads: new CallKeypads({ keys: callerKeys, observer: new KeypadMetrics(ops.metrics.registry) }),
    callbackPolicy: config.callbackPolicy,
    rateLimit: config.rateLimit,
    maxEventStreams: config.maxEventStreams,
    trustedProxies: config.trustedProxies,
    ops,
    durable: () => durable(db),
    auditLog: new AuditLogStore(db),
    async close() {
      // In order: digits the caller already sent reach their sessions, gateway calls in flight are answered and
      // committed (the graceful shutdown bounds the wait), callbacks in flight finish; whatever is left is durable
      // and the next start resumes it.
      clearInterval(authFailureRoll);
      await telephony.settle();
      sessions.stop();
      await storedKeypad?.stop();
      await sessions.settle();
      connectors.close();
      await outbox.stop();
      await voiceWebhook.close();
      await playFiles.close();
      await cluster?.leave();
      await db.destroy();
    },
  };
  return context;
}

/** The key an account's callbacks and webhook requests are signed with: its auth token. */
async function signingKey(accounts: AccountStore, accountSid: string): Promise<string> {
  const token = await accounts.authToken(accountSid);
  if (token === null) throw new Error(`account ${accountSid} has no auth token`);
  return token;
}

/**
 * How real calls' keys are masked from agents: `PAYTONE_DTMF_MASK`'s sound; a key is masked while a pay session may
 * be open on its call, and always when the call's account says `keys_masked = always`.
 */
function keyMaskingRules(config: Config, payments: PaymentRequests, calls: CallStore, accounts: AccountStore) {
  return {
    sound: config.sip?.dtmfMask ?? 'flat',
    payMayBeOpen: (callSid: string) => payments.payMayBeOpen(callSid),
    async masksEveryKey(callSid: string): Promise<boolean> {
      const call = await calls.getBySid(callSid);
      return call === null || (await accounts.getAccount(call.accountSid))?.keysMasked !== 'pay-sessions';
    },
  } as const;
}
