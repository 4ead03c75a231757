import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const dataDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-config-'));

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message.split('\n');
  }
  return [];
}

test('an empty environment gives the documented defaults', () => {
  const config = loadConfig({});
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 8080);
  assert.equal(config.dataDir, path.resolve('./data'));
  assert.equal(config.logLevel, 'info');
  assert.equal(config.dtmfIntervalMs, 150);
  assert.equal(config.firstDigitTimeoutSeconds, 15);
  assert.equal(config.shutdownGraceMs, 30_000);
  assert.equal(config.databaseUrl, undefined);
  assert.equal(config.metricsToken, undefined);
});

test('every mistake is reported at once, one line each, naming the variable, the value and what is allowed', () => {
  const lines = problemsOf({
    PORT: '80a',
    HOST: 'not a host!',
    LOG_LEVEL: 'loud',
    PAYTONE_DTMF_INTERVAL_MS: '-5',
    PAYTONE_FIRST_DIGIT_TIMEOUT: '1.5',
    PAYTONE_SHUTDOWN_GRACE_MS: '10',
  });
  assert.deepEqual(lines, [
    'HOST must be an IP address (e.g. 0.0.0.0, 127.0.0.1, ::) or a host name; got "not a host!".',
    'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "loud".',
    'PORT must be a whole number from 0 to 65535; got "80a".',
    'PAYTONE_DTMF_INTERVAL_MS must be a whole number from 0 to 10000; got "-5".',
    'PAYTONE_FIRST_DIGIT_TIMEOUT must be a whole number from 1 to 600; got "1.5".',
    'PAYTONE_SHUTDOWN_GRACE_MS must be a whole number from 1000 to 600000; got "10".',
  ]);
});

test('secrets are named but never quoted back', () => {
  const vaultKey = 'zz'.repeat(32);
  const authToken = 'not-a-token-hunter2';
  const metricsToken = 'short pw';
  const lines = problemsOf({
    PAYTONE_VAULT_KEY: vaultKey,
    PAYTONE_ACCOUNT_SID: 'AC' + '1'.repeat(32),
    PAYTONE_AUTH_TOKEN: authToken,
    PAYTONE_METRICS_TOKEN: metricsToken,
    DATABASE_URL: 'mysql://app:s3cretpass@db:3306/pay',
  });
  assert.equal(lines.length, 4, lines.join('\n'));
  const text = lines.join('\n');
  for (const secret of [vaultKey, authToken, metricsToken, 's3cretpass']) assert.ok(!text.includes(secret), `${secret} was shown: ${text}`);
  assert.match(text, /^PAYTONE_VAULT_KEY must be 64 hex characters/m);
  assert.match(text, /^PAYTONE_AUTH_TOKEN must be 32 hex characters/m);
  assert.match(text, /^PAYTONE_METRICS_TOKEN must be at least 16 characters/m);
  assert.match(text, /^DATABASE_URL must start with postgres:\/\/ or postgresql:\/\/.*got "mysql:\/\/app:\*\*\*@db:3306\/pay"/m);
});

test('a DATABASE_URL that is not a URL is refused without being shown', () => {
  const key = 'ab'.repeat(32);
  const lines = problemsOf({ DATABASE_URL: 'host=db password=hunter22', PAYTONE_VAULT_KEY: key });
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^DATABASE_URL must be a PostgreSQL URL/);
  assert.ok(!lines[0]!.includes('hunter22'));
  const url = 'postgres://paytone:pw@127.0.0.1:5432/paytone';
  assert.equal(loadConfig({ DATABASE_URL: url, PAYTONE_VAULT_KEY: key }).databaseUrl, url);
});

test('a cluster needs the one vault key every process shares', () => {
  assert.deepEqual(problemsOf({ DATABASE_URL: 'postgres://paytone@db/paytone' }), [
    'PAYTONE_VAULT_KEY must be set with DATABASE_URL: every process sharing the database needs the same 64-hex-character key (e.g. `openssl rand -hex 32`).',
  ]);
});

test('the start-up account needs both variables, each in its format', () => {
  assert.deepEqual(problemsOf({ PAYTONE_ACCOUNT_SID: 'AC' + '1'.repeat(32) }), [
    'PAYTONE_ACCOUNT_SID is set but PAYTONE_AUTH_TOKEN is not: set both, or neither for a development account',
  ]);
  assert.deepEqual(problemsOf({ PAYTONE_ACCOUNT_SID: 'AC123', PAYTONE_AUTH_TOKEN: 'f'.repeat(32) }), [
    'PAYTONE_ACCOUNT_SID must be "AC" followed by 32 hex characters; got "AC123"',
  ]);
});

test('a misspelt PAYTONE_ variable is named, not silently ignored', () => {
  const config = loadConfig({ PAYTONE_DTMF_INTERVAL: '100', PAYTONE_DTMF_INTERVAL_MS: '100' });
  assert.equal(config.unknownVariables.length, 1);
  assert.match(config.unknownVariables[0]!, /^PAYTONE_DTMF_INTERVAL is not a paytone setting \(misspelt\?\) and is ignored; the settings are .*PAYTONE_DTMF_INTERVAL_MS/);
  assert.deepEqual(loadConfig({ PAYTONE_DTMF_INTERVAL_MS: '100' }).unknownVariables, []);
});

test('paths must be usable: the data dir a directory, the connectors file readable', () => {
  const dir = dataDir();
  const file = path.join(dir, 'plain-file');
  fs.writeFileSync(file, 'x');
  assert.deepEqual(problemsOf({ PAYTONE_DATA_DIR: file, PAYTONE_CONNECTORS_FILE: path.join(dir, 'missing.json') }), [
    `PAYTONE_DATA_DIR must be a directory (it is created if missing); "${file}" is a file.`,
    `PAYTONE_CONNECTORS_FILE must name a readable JSON file; "${path.join(dir, 'missing.json')}" is not one.`,
  ]);
});

test('paytone refuses to start on a bad configuration: one line per mistake on stderr, exit code 2', () => {
  const dir = dataDir();
  const result = spawnSync(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', PAYTONE_DATA_DIR: dir, PORT: '99999', LOG_LEVEL: 'chatty', PAYTONE_VAULT_KEY: 'abc' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(result.status, 2, result.stderr);
  assert.deepEqual(result.stderr.trim().split('\n'), [
    'paytone: configuration error',
    'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "chatty".',
    'PAYTONE_VAULT_KEY must be 64 hex characters (32 bytes), e.g. the output of `openssl rand -hex 32` (the value is not shown: it is a secret).',
    'PORT must be a whole number from 0 to 65535; got "99999".',
  ]);
  assert.equal(result.stdout, '');
  assert.deepEqual(fs.readdirSync(dir), [], 'nothing was written to the data dir');
});

describe('HTTP timeouts in the configuration', () => {
  it('defaults to 10 s for headers, 30 s per request and 65 s for an idle connection', () => {
    assert.deepEqual(loadConfig({}).http, { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000 });
  });

  it('takes each from the environment', () => {
    const http = loadConfig({ PAYTONE_HEADERS_TIMEOUT_MS: '500', PAYTONE_REQUEST_TIMEOUT_MS: '900', PAYTONE_KEEPALIVE_TIMEOUT_MS: '1500' }).http;
    assert.deepEqual(http, { headersTimeoutMs: 500, requestTimeoutMs: 900, keepAliveTimeoutMs: 1500 });
  });

  it('refuses a headers timeout longer than the request timeout, and values that are not whole milliseconds', () => {
    assert.throws(() => loadConfig({ PAYTONE_HEADERS_TIMEOUT_MS: '5000', PAYTONE_REQUEST_TIMEOUT_MS: '1000' }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /PAYTONE_HEADERS_TIMEOUT_MS \(5000\) must not exceed PAYTONE_REQUEST_TIMEOUT_MS \(1000\)/);
      return true;
    });
    assert.throws(() => loadConfig({ PAYTONE_REQUEST_TIMEOUT_MS: '2s' }), /PAYTONE_REQUEST_TIMEOUT_MS must be a whole number from 100 to 600000; got "2s"/);
  });
});

describe('callback retry schedule in the configuration', () => {
  it('defaults to the documented policy: 8 attempts, 1 s doubling to 5 minutes, 15 s timeout', () => {
    assert.deepEqual(loadConfig({}).callbackRetry, { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 300_000, timeoutMs: 15_000 });
  });

  it('takes each from the environment and refuses a cap below the first delay', () => {
    const env = { PAYTONE_CALLBACK_MAX_ATTEMPTS: '40', PAYTONE_CALLBACK_RETRY_BASE_MS: '50', PAYTONE_CALLBACK_RETRY_MAX_MS: '400', PAYTONE_CALLBACK_TIMEOUT_MS: '1000' };
    assert.deepEqual(loadConfig(env).callbackRetry, { maxAttempts: 40, baseDelayMs: 50, maxDelayMs: 400, timeoutMs: 1000 });
    assert.throws(() => loadConfig({ ...env, PAYTONE_CALLBACK_RETRY_MAX_MS: '20' }), /PAYTONE_CALLBACK_RETRY_MAX_MS \(20\) must be at least PAYTONE_CALLBACK_RETRY_BASE_MS \(50\)/);
    assert.throws(() => loadConfig({ PAYTONE_CALLBACK_MAX_ATTEMPTS: '0' }), /PAYTONE_CALLBACK_MAX_ATTEMPTS must be a whole number from 1 to 100; got "0"/);
  });
});

describe('text-to-speech service in the configuration', () => {
  it('is off by default (eSpeak NG speaks) and takes a URL, a token and a model', () => {
    assert.equal(loadConfig({}).tts, null);
    const env = { PAYTONE_TTS_URL: 'https://tts.internal/v1/audio/speech', PAYTONE_TTS_TOKEN: 'sk-0123456789', PAYTONE_TTS_MODEL: 'tts-1' };
    assert.deepEqual(loadConfig(env).tts, { url: env.PAYTONE_TTS_URL, token: 'sk-0123456789', model: 'tts-1' });
  });

  it('refuses a URL that is not http(s), a token with spaces (without showing it), and a token with no URL', () => {
    const lines = problemsOf({ PAYTONE_TTS_URL: 'ftp://user:secret@tts.internal/speak', PAYTONE_TTS_TOKEN: 'two words' });
    assert.ok(lines.some((l) => /^PAYTONE_TTS_URL must be an absolute http\(s\) URL/.test(l) && !l.includes('secret')), lines.join('\n'));
    assert.deepEqual(problemsOf({ PAYTONE_TTS_URL: 'https://tts.internal/speak', PAYTONE_TTS_TOKEN: 'two words' }), ['PAYTONE_TTS_TOKEN must have no spaces (the value is not shown: it is a secret).']);
    assert.match(problemsOf({ PAYTONE_TTS_TOKEN: 'abc' })[0]!, /PAYTONE_TTS_TOKEN and PAYTONE_TTS_MODEL need PAYTONE_TTS_URL/);
  });
});
