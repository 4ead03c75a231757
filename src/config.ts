/**
 * Start-up configuration from the environment, validated once: one clear line per mistake.
 *
 * @example
 *   const config = loadConfig(process.env);   // throws ConfigError listing every bad variable
 */
import path from 'node:path';
import { parseCallbackPolicy, ANY_CALLBACK, type CallbackPolicy } from './domain/callbackPolicy.js';

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
  logLevel: string;
  /** Where status callbacks may go (PAYTONE_CALLBACK_POLICY, PAYTONE_CALLBACK_ALLOW). */
  callbackPolicy: CallbackPolicy;
  /** Requests per account and window (PAYTONE_RATE_LIMIT), or null when switched off. */
  rateLimit: RateLimit | null;
}

export interface RateLimit {
  max: number;
  windowMs: number;
}

/** The default, per account and process: generous for an agent desktop, a wall for a runaway loop. */
export const DEFAULT_RATE_LIMIT: RateLimit = { max: 1000, windowMs: 10_000 };

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
  const match = /^(\d{1,9})\/(\d{1,7})(ms|s|m)$/.exec(raw);
  const max = Number(match?.[1]);
  const windowMs = Number(match?.[2]) * (UNITS[match?.[3] ?? ''] ?? NaN);
  if (!match || max < 1 || !(windowMs >= 100) || windowMs > 3_600_000) {
    return `PAYTONE_RATE_LIMIT must be <requests>/<window> such as 1000/10s (window in ms, s or m, from 100ms to 60m), or off; got ${JSON.stringify(raw)}.`;
  }
  return { max, windowMs };
}

export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const problems: string[] = [];
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}; got "${raw}".`);
      return fallback;
    }
    return value;
  };
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; got "${logLevel}".`);
  const callbacks = parseCallbackPolicy(env.PAYTONE_CALLBACK_POLICY, env.PAYTONE_CALLBACK_ALLOW);
  problems.push(...callbacks.problems);
  const rateLimit = parseRateLimit(env.PAYTONE_RATE_LIMIT);
  if (typeof rateLimit === 'string') problems.push(rateLimit);
  const config: Config = {
    host: env.HOST || '127.0.0.1',
    port: integer('PORT', 8080, 0, 65535),
    dataDir: path.resolve(env.PAYTONE_DATA_DIR || './data'),
    databaseUrl: env.DATABASE_URL || undefined,
    vaultKeyHex: env.PAYTONE_VAULT_KEY || undefined,
    accountSid: env.PAYTONE_ACCOUNT_SID || undefined,
    authToken: env.PAYTONE_AUTH_TOKEN || undefined,
    dtmfIntervalMs: integer('PAYTONE_DTMF_INTERVAL_MS', 150, 0, 10_000),
    firstDigitTimeoutSeconds: integer('PAYTONE_FIRST_DIGIT_TIMEOUT', 15, 1, 600),
    sandboxSlowMs: integer('PAYTONE_SANDBOX_SLOW_MS', 15_000, 0, 600_000),
    logLevel,
    callbackPolicy: callbacks.policy ?? ANY_CALLBACK,
    rateLimit: typeof rateLimit === 'string' ? null : rateLimit,
  };
  problems.push(...clusterProblems(env));
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  return config;
}

/** DATABASE_URL and what a cluster on it needs: the same vault key in every process, or none can read another's sessions. */
function clusterProblems(env: NodeJS.ProcessEnv): string[] {
  const url = env.DATABASE_URL;
  if (!url) return [];
  if (!/^postgres(ql)?:\/\/./.test(url) || !URL.canParse(url)) {
    return ['DATABASE_URL must be a PostgreSQL URL such as postgres://user:password@host:5432/paytone; unset it for the embedded SQLite database.'];
  }
  if (!env.PAYTONE_VAULT_KEY) {
    return ['PAYTONE_VAULT_KEY must be set with DATABASE_URL: every process sharing the database needs the same 64-hex-character key (e.g. `openssl rand -hex 32`).'];
  }
  return [];
}
