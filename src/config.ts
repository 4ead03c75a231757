/**
 * Start-up configuration from the environment, validated once: every mistake is reported together, one line
 * each, naming the variable, the value (unless it is a secret) and what is allowed. A `PAYTONE_*` variable that
 * paytone does not know is named in `unknownVariables`, so start-up can warn about a misspelt setting instead of
 * silently ignoring it (it is not refused: test harnesses and wrappers use the prefix for their own knobs).
 *
 * Each setting is read through one of the readers below, which is also how paytone learns the names it knows:
 * a new setting is one more `integer(...)`/`text(...)` line here.
 *
 * @example
 *   const config = loadConfig(process.env);   // throws ConfigError listing every bad variable
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import { parseCallbackPolicy, ANY_CALLBACK, type CallbackPolicy } from './domain/callbackPolicy.js';
import { isSecret, isSid } from './domain/sids.js';
import type { HttpTimeouts } from './api/limits.js';
import { readTlsFiles, type TlsMaterial } from './api/tls.js';
import { CALLBACK_RETRY, type CallbackRetryPolicy } from './callbacks/retryPolicy.js';
import { readSipSettings, type SipSettings } from './telephony/sipSettings.js';
import { readSpeechSettings, type SpeechSettings } from './telephony/prompts/speechSettings.js';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** `postgres://...`: state in PostgreSQL, shared by every process of a cluster; unset: the embedded SQLite file. */
  databaseUrl: string | undefined;
  vaultKeyHex: string | undefined;
  accountSid: string | undefined;
  authToken: string | undefined;
  /** Pause between two sandbox keypresses, like a person on a keypad. */
  dtmfIntervalMs: number;
  /** How long the caller has for the first digit of a field, and to answer the confirmation prompt. */
  firstDigitTimeoutSeconds: number;
  /** How long the sandbox gateway's slow test card takes to answer. */
  sandboxSlowMs: number;
  /** How long one attempt at a payment gateway may take before it is retried (Generic Pay Connector: 10 s). */
  gatewayTimeoutMs: number;
  logLevel: string;
  /** Where status callbacks may go (PAYTONE_CALLBACK_POLICY, PAYTONE_CALLBACK_ALLOW). */
  callbackPolicy: CallbackPolicy;
  /** Requests per account and window (PAYTONE_RATE_LIMIT), or null when switched off. */
  rateLimit: RateLimit | null;
  /** The most live event streams one account may have open at once on this process (PAYTONE_MAX_EVENT_STREAMS). */
  maxEventStreams: number;
  /** Failed sign-ins that lock a credential SID or a source address, and for how long (PAYTONE_AUTH_LOCKOUT, PAYTONE_AUTH_ADDRESS_LOCKOUT). */
  authLockout: { perCredential: RateLimit; perAddress: RateLimit };
  /** The HTTPS certificate and key (PAYTONE_TLS_CERT, PAYTONE_TLS_KEY), or null to serve plain HTTP. */
  tls: TlsMaterial | null;
  /** Proxies whose X-Forwarded-For is believed (PAYTONE_TRUST_PROXY): addresses, CIDR networks or range names. */
  trustedProxies: string[];
  /** A JSON file of payment connectors to register at start-up. */
  connectorsFile: string | undefined;
  /** When set, `GET /metrics` wants `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** On SIGTERM, how long in-flight requests, gateway calls and callbacks may take before the process exits anyway. */
  shutdownGraceMs: number;
  /** `PAYTONE_*` variables that are set but are no paytone setting, each with a line saying so. */
  unknownVariables: string[];
  /** How long a client may take to send a request's headers, its whole request, and to reuse an idle connection. */
  http: HttpTimeouts;
  /** When status callbacks are tried again and when paytone gives up (docs/capture-and-callbacks.md, "Retries"). */
  callbackRetry: CallbackRetryPolicy;
  /** Real calls: SIP and RTP (PAYTONE_SIP_*, PAYTONE_RTP_PORTS), or null when PAYTONE_SIP_LISTEN is off. */
  sip: SipSettings | null;
  /** The text-to-speech service for `<Say>` on real calls (PAYTONE_TTS_*), or null: the built-in eSpeak NG. */
  tts: SpeechSettings | null;
}

export interface RateLimit {
  max: number;
  windowMs: number;
}

/** The default, per account and process: generous for an agent desktop, a wall for a runaway loop. */
export const DEFAULT_RATE_LIMIT: RateLimit = { max: 1000, windowMs: 10_000 };
/** PCI DSS 8.3.4: a user ID is locked after at most 10 failed attempts, for at least 30 minutes. */
export const DEFAULT_AUTH_LOCKOUT: RateLimit = { max: 10, windowMs: 30 * 60_000 };
/** An office behind one address has many people who mistype now and then. */
export const DEFAULT_ADDRESS_LOCKOUT: RateLimit = { max: 50, windowMs: 10 * 60_000 };

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/**
 * Reads `PAYTONE_RATE_LIMIT`: `<requests>/<window>` with the window in `ms`, `s` or `m` (`1000/10s`), or `off`.
 * Returns the limit, null for `off`, or a sentence saying what is wrong.
 *
 * @example
 *   parseRateLimit('50/1s') // { max: 50, windowMs: 1000 }
 */
export function parseRateLimit(raw: string | undefined): RateLimit | null | string {
  if (raw === undefined || raw === '') return DEFAULT_RATE_LIMIT;
  if (raw === 'off') return null;
  return countPerWindow(raw) ?? `PAYTONE_RATE_LIMIT must be <requests>/<window> such as 1000/10s (window in ms, s or m, from 100ms to 60m), or off; got ${JSON.stringify(raw)}.`;
}

/**
 * Reads a lockout: `<failures>/<window>` (`10/30m`): that many failed sign-ins within the window lock the credential
 * (or address) for the window. Returns the limit, or a sentence saying what is wrong.
 *
 * @example
 *   parseLockout('PAYTONE_AUTH_LOCKOUT', '5/15m', DEFAULT_AUTH_LOCKOUT) // { max: 5, windowMs: 900000 }
 */
export function parseLockout(name: string, raw: string | undefined, fallback: RateLimit): RateLimit | string {
  if (raw === undefined || raw === '') return fallback;
  return countPerWindow(raw) ?? `${name} must be <failures>/<window> such as 10/30m (window in ms, s or m, from 100ms to 60m); got ${JSON.stringify(raw)}.`;
}

function countPerWindow(raw: string): RateLimit | null {
  const match = /^(\d{1,9})\/(\d{1,7})(ms|s|m)$/.exec(raw);
  const max = Number(match?.[1]);
  const windowMs = Number(match?.[2]) * (UNITS[match?.[3] ?? ''] ?? NaN);
  return !match || max < 1 || !(windowMs >= 100) || windowMs > 3_600_000 ? null : { max, windowMs };
}

const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * Reads `PAYTONE_TRUST_PROXY`: the load balancers in front of paytone, whose `X-Forwarded-For` names the real
 * client (for the audit log and rate limits). Unset, the TCP peer is the client and the header is ignored.
 * Returns the entries, or a sentence saying which one is wrong.
 *
 * @example
 *   parseTrustedProxies('10.0.0.0/8, loopback') // ['10.0.0.0/8', 'loopback']
 */
export function parseTrustedProxies(raw: string | undefined): string[] | string {
  const entries = (raw ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '');
  const bad = entries.find((e) => !PROXY_RANGES.includes(e) && !ipaddr.isValid(e) && !ipaddr.isValidCIDR(e));
  if (bad === undefined) return entries;
  return `PAYTONE_TRUST_PROXY must be a comma-separated list of proxy addresses, CIDR networks or ${PROXY_RANGES.join(', ')}; ${JSON.stringify(bad)} is none of these.`;
}

export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const HOSTNAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;
const VAULT_KEY = /^[0-9a-f]{64}$/i;
const MIN_METRICS_TOKEN_LENGTH = 16;

/**
 * What is wrong with the start-up account variables: both or neither, each in its format. A token is never
 * quoted back.
 *
 * @example
 *   accountVariableProblems({ PAYTONE_ACCOUNT_SID: 'AC123' }) // ['PAYTONE_ACCOUNT_SID is set but PAYTONE_AUTH_TOKEN is not: ...']
 */
export function accountVariableProblems(env: Record<string, string | undefined>): string[] {
  const sid = env.PAYTONE_ACCOUNT_SID || undefined;
  const token = env.PAYTONE_AUTH_TOKEN || undefined;
  if (sid === undefined && token === undefined) return [];
  if (sid === undefined) return ['PAYTONE_AUTH_TOKEN is set but PAYTONE_ACCOUNT_SID is not: set both, or neither for a development account'];
  if (token === undefined) return ['PAYTONE_ACCOUNT_SID is set but PAYTONE_AUTH_TOKEN is not: set both, or neither for a development account'];
  const problems: string[] = [];
  if (!isSid('AC', sid)) problems.push(`PAYTONE_ACCOUNT_SID must be "AC" followed by 32 hex characters; got "${sid}"`);
  if (!isSecret(token)) problems.push('PAYTONE_AUTH_TOKEN must be 32 hex characters, e.g. the output of `openssl rand -hex 16` (the value is not shown: it is a secret)');
  return problems;
}

export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const problems: string[] = [];
  const known = new Set<string>();
  /** The variable's value, or undefined when unset or empty ("not given"). */
  const text = (name: string): string | undefined => {
    known.add(name);
    const raw = env[name];
    return raw === undefined || raw === '' ? undefined : raw;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\s*-?\d+\s*$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}; got "${raw}".`);
      return fallback;
    }
    return value;
  };

  const host = text('HOST') ?? '127.0.0.1';
  if (net.isIP(host) === 0 && !HOSTNAME.test(host)) {
    problems.push(`HOST must be an IP address (e.g. 0.0.0.0, 127.0.0.1, ::) or a host name; got "${host}".`);
  }
  const logLevel = text('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; got "${logLevel}".`);
  const callbacks = parseCallbackPolicy(text('PAYTONE_CALLBACK_POLICY'), text('PAYTONE_CALLBACK_ALLOW'));
  problems.push(...callbacks.problems);
  const rateLimit = parseRateLimit(text('PAYTONE_RATE_LIMIT'));
  if (typeof rateLimit === 'string') problems.push(rateLimit);
  const lockout = (name: string, fallback: RateLimit): RateLimit => {
    const parsed = parseLockout(name, text(name), fallback);
    if (typeof parsed !== 'string') return parsed;
    problems.push(parsed);
    return fallback;
  };
  const authLockout = { perCredential: lockout('PAYTONE_AUTH_LOCKOUT', DEFAULT_AUTH_LOCKOUT), perAddress: lockout('PAYTONE_AUTH_ADDRESS_LOCKOUT', DEFAULT_ADDRESS_LOCKOUT) };
  const trustedProxies = parseTrustedProxies(text('PAYTONE_TRUST_PROXY'));
  if (typeof trustedProxies === 'string') problems.push(trustedProxies);
  const tls = readTlsFiles(text('PAYTONE_TLS_CERT'), text('PAYTONE_TLS_KEY'));
  problems.push(...tls.problems);

  const dataDir = path.resolve(text('PAYTONE_DATA_DIR') ?? './data');
  if (fs.existsSync(dataDir) && !fs.statSync(dataDir).isDirectory()) {
    problems.push(`PAYTONE_DATA_DIR must be a directory (it is created if missing); "${dataDir}" is a file.`);
  }
  const vaultKeyHex = text('PAYTONE_VAULT_KEY');
  if (vaultKeyHex !== undefined && !VAULT_KEY.test(vaultKeyHex.trim())) {
    problems.push('PAYTONE_VAULT_KEY must be 64 hex characters (32 bytes), e.g. the output of `openssl rand -hex 32` (the value is not shown: it is a secret).');
  }
  const accountSid = text('PAYTONE_ACCOUNT_SID');
  const authToken = text('PAYTONE_AUTH_TOKEN');
  problems.push(...accountVariableProblems(env));

  const databaseUrl = text('DATABASE_URL');
  if (databaseUrl !== undefined) problems.push(...databaseUrlProblems(databaseUrl));
  if (databaseUrl !== undefined && vaultKeyHex === undefined) {
    problems.push('PAYTONE_VAULT_KEY must be set with DATABASE_URL: every process sharing the database needs the same 64-hex-character key (e.g. `openssl rand -hex 32`).');
  }
  const connectorsFile = text('PAYTONE_CONNECTORS_FILE');
  if (connectorsFile !== undefined && !isReadableFile(connectorsFile)) {
    problems.push(`PAYTONE_CONNECTORS_FILE must name a readable JSON file; "${path.resolve(connectorsFile)}" is not one.`);
  }
  const metricsToken = text('PAYTONE_METRICS_TOKEN');
  if (metricsToken !== undefined && (metricsToken.length < MIN_METRICS_TOKEN_LENGTH || /\s/.test(metricsToken))) {
    problems.push(`PAYTONE_METRICS_TOKEN must be at least ${MIN_METRICS_TOKEN_LENGTH} characters without spaces, e.g. the output of \`openssl rand -hex 16\` (the value is not shown: it is a secret).`);
  }

  const sip = readSipSettings(text, problems);
  const tts = readSpeechSettings(text, problems);

  const config: Config = {
    host,
    port: integer('PORT', 8080, 0, 65535),
    dataDir,
    vaultKeyHex,
    accountSid,
    authToken,
    dtmfIntervalMs: integer('PAYTONE_DTMF_INTERVAL_MS', 150, 0, 10_000),
    firstDigitTimeoutSeconds: integer('PAYTONE_FIRST_DIGIT_TIMEOUT', 15, 1, 600),
    sandboxSlowMs: integer('PAYTONE_SANDBOX_SLOW_MS', 15_000, 0, 600_000),
    gatewayTimeoutMs: integer('PAYTONE_GATEWAY_TIMEOUT_MS', 10_000, 100, 120_000),
    logLevel,
    callbackPolicy: callbacks.policy ?? ANY_CALLBACK,
    rateLimit: typeof rateLimit === 'string' ? null : rateLimit,
    authLockout,
    // An agent console holds one; each costs a socket and some memory, which one account must not take all of.
    maxEventStreams: integer('PAYTONE_MAX_EVENT_STREAMS', 100, 1, 100_000),
    trustedProxies: typeof trustedProxies === 'string' ? [] : trustedProxies,
    tls: tls.tls,
    databaseUrl,
    connectorsFile,
    metricsToken,
    shutdownGraceMs: integer('PAYTONE_SHUTDOWN_GRACE_MS', 30_000, 1_000, 600_000),
    unknownVariables: [],
    http: {
      headersTimeoutMs: integer('PAYTONE_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
      requestTimeoutMs: integer('PAYTONE_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
      keepAliveTimeoutMs: integer('PAYTONE_KEEPALIVE_TIMEOUT_MS', 65_000, 100, 600_000),
    },
    callbackRetry: {
      maxAttempts: integer('PAYTONE_CALLBACK_MAX_ATTEMPTS', CALLBACK_RETRY.maxAttempts, 1, 100),
      baseDelayMs: integer('PAYTONE_CALLBACK_RETRY_BASE_MS', CALLBACK_RETRY.baseDelayMs, 10, 3_600_000),
      maxDelayMs: integer('PAYTONE_CALLBACK_RETRY_MAX_MS', CALLBACK_RETRY.maxDelayMs, 10, 86_400_000),
      timeoutMs: integer('PAYTONE_CALLBACK_TIMEOUT_MS', CALLBACK_RETRY.timeoutMs, 100, 300_000),
    },
    sip,
    tts,
  };
  if (config.callbackRetry.maxDelayMs < config.callbackRetry.baseDelayMs) {
    problems.push(`PAYTONE_CALLBACK_RETRY_MAX_MS (${config.callbackRetry.maxDelayMs}) must be at least PAYTONE_CALLBACK_RETRY_BASE_MS (${config.callbackRetry.baseDelayMs}).`);
  }
  if (config.http.headersTimeoutMs > config.http.requestTimeoutMs) {
    problems.push(`PAYTONE_HEADERS_TIMEOUT_MS (${config.http.headersTimeoutMs}) must not exceed PAYTONE_REQUEST_TIMEOUT_MS (${config.http.requestTimeoutMs}): the headers are part of the request.`);
  }
  const settings = [...known].filter((name) => name.startsWith('PAYTONE_')).sort().join(', ');
  config.unknownVariables = Object.keys(env)
    .filter((name) => name.startsWith('PAYTONE_') && !known.has(name))
    .sort()
    .map((name) => `${name} is not a paytone setting (misspelt?) and is ignored; the settings are ${settings}.`);

  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  return config;
}

/** A postgres URL, named without its password. */
function databaseUrlProblems(raw: string): string[] {
  const example = 'e.g. postgres://paytone:secret@db.internal:5432/paytone';
  if (!URL.canParse(raw)) return [`DATABASE_URL must be a PostgreSQL URL, ${example}; the value given is not a URL (not shown: it may hold a password).`];
  const url = new URL(raw);
  if (url.protocol === 'postgres:' || url.protocol === 'postgresql:') return [];
  if (url.password !== '') url.password = '***';
  return [`DATABASE_URL must start with postgres:// or postgresql://, ${example}; got "${url.toString()}". Leave it unset for the embedded SQLite database.`];
}

function isReadableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
