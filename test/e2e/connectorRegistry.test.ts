/**
 * The PayConnectors resource end to end: create, list, fetch, update, delete under the account's Basic auth;
 * clear errors that change nothing; secrets that are never returned and never on disk in plain text; the
 * connectors file loaded at start-up.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_SID, startPaytone, tempDataDir, type PaytoneProcess } from '../support/paytone.js';
import { connectorsPath, createConnector, deleteConnector } from './connectorFlows.js';

const PASSWORD = 'gw-Secret-9d41c7';
const API_KEY = 'sk_test_RegistrySecret5b2e';
const GENERIC = { UniqueName: 'Acme', Type: 'generic', Mode: 'live', EndpointUrl: 'https://pay.acme.example/twilio', Username: 'twilio', Password: PASSWORD };

/** Every byte under `dir`, after SQLite has moved its WAL into the database file. */
function everythingOnDisk(dir: string): Buffer {
  return Buffer.concat(fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => fs.readFileSync(path.join(e.parentPath, e.name))));
}

describe('PayConnectors resource', () => {
  let paytone: PaytoneProcess;
  const bodies: string[] = [];
  const get = async (p: string) => {
    const result = await paytone.get(p);
    bodies.push(JSON.stringify(result.body));
    return result;
  };
  const post = async (p: string, form: Record<string, string>) => {
    const result = await paytone.post(p, form);
    bodies.push(JSON.stringify(result.body));
    return result;
  };

  before(async () => (paytone = await startPaytone()));
  after(async () => paytone.stop());

  it('lists the built-in sandbox Default before anything is created', async () => {
    const { status, body } = await get(connectorsPath());
    assert.equal(status, 200);
    assert.deepEqual(body.pay_connectors.map((c: any) => [c.unique_name, c.type, c.mode, c.built_in]), [['Default', 'sandbox', 'test', true]]);
    assert.equal(body.meta.key, 'pay_connectors');
  });

  it('creates a generic connector (201) and never returns its password', async () => {
    const created = await createConnector(paytone, GENERIC);
    bodies.push(JSON.stringify(created));
    assert.deepEqual(
      { ...created, date_created: 'x', date_updated: 'x' },
      {
        account_sid: ACCOUNT_SID,
        unique_name: 'Acme',
        type: 'generic',
        mode: 'live',
        built_in: false,
        endpoint_url: 'https://pay.acme.example/twilio',
        username: 'twilio',
        password_set: true,
        supports_charge: true,
        supports_tokenize: true,
        payment_methods: ['credit-card', 'ach-debit'],
        token_types: ['one-time', 'reusable', 'payment-method'],
        currencies: 'any',
        date_created: 'x',
        date_updated: 'x',
        url: `/v1/Accounts/${ACCOUNT_SID}/PayConnectors/Acme.json`,
      },
    );
    assert.match(created.date_created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const fetched = await get(connectorsPath('Acme'));
    assert.deepEqual(fetched.body, created);
  });

  it('creates a stripe connector; its API key is write-only', async () => {
    const { status, body } = await post(connectorsPath(), { UniqueName: 'Stripe', Type: 'stripe', ApiKey: API_KEY, ApiBase: 'http://127.0.0.1:12111' });
    assert.equal(status, 201);
    assert.equal(body.api_key_set, true);
    assert.equal(body.api_base, 'http://127.0.0.1:12111');
    assert.equal(body.mode, 'test');
    assert.deepEqual(body.payment_methods, ['credit-card']);
  });

  it('updates only the parameters given, and keeps the secret', async () => {
    const { status, body } = await post(connectorsPath('Acme'), { Mode: 'test', Currencies: 'USD CAD', SupportsTokenize: 'false' });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.mode, 'test');
    assert.deepEqual(body.currencies, ['USD', 'CAD']);
    assert.equal(body.supports_tokenize, false);
    assert.equal(body.endpoint_url, GENERIC.EndpointUrl);
    assert.equal(body.password_set, true);
  });

  it('asks for the secret again when EndpointUrl, ApiBase or Type changes, and changes nothing without it', async () => {
    const before = (await get(connectorsPath())).body;
    const cases: [string, Record<string, string>, RegExp][] = [
      ['Acme', { EndpointUrl: 'https://collector.example/pay' }, /Password must be given again when EndpointUrl changes/],
      ['Stripe', { ApiBase: 'https://collector.example' }, /ApiKey must be given again when ApiBase changes/],
      ['Stripe', { Type: 'generic', EndpointUrl: 'https://collector.example/pay', Username: 'me' }, /Password/],
    ];
    for (const [name, form, message] of cases) {
      const { status, body } = await post(connectorsPath(name), form);
      assert.equal(status, 400, JSON.stringify(body));
      assert.equal(body.code, 64020);
      assert.match(body.message, message);
    }
    assert.deepEqual((await get(connectorsPath())).body, before);
    const moved = await post(connectorsPath('Acme'), { EndpointUrl: 'https://pay2.acme.example/twilio', Password: PASSWORD });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal(moved.body.endpoint_url, 'https://pay2.acme.example/twilio');
    assert.equal(moved.body.password_set, true);
  });

  it('refuses bad input with a 64020 that names the parameter, and changes nothing', async () => {
    const before = (await get(connectorsPath())).body;
    const cases: [Record<string, string>, RegExp][] = [
      [{ ...GENERIC, UniqueName: 'Other', EndpointUrl: 'not a url' }, /EndpointUrl must be an absolute http or https URL/],
      [{ ...GENERIC, UniqueName: 'Other', Type: 'bank' }, /Type must be one of sandbox, generic, stripe/],
      [{ ...GENERIC, UniqueName: 'Other', Password: '' }, /Missing required parameter Password/],
      [{ UniqueName: 'Other', Type: 'stripe', ApiKey: 'sk_live_abc', Mode: 'test' }, /ApiKey is a live key but Mode=test/],
      [{ ...GENERIC, UniqueName: 'Acme' }, /A connector named Acme already exists/],
    ];
    for (const [form, message] of cases) {
      const { status, body } = await post(connectorsPath(), form);
      assert.equal(status, 400);
      assert.equal(body.code, 64020);
      assert.match(body.message, message);
      assert.equal(body.more_info, 'https://www.twilio.com/docs/errors/64020');
    }
    const update = await post(connectorsPath('Acme'), { PaymentMethods: 'cash' });
    assert.equal(update.body.code, 64020);
    assert.deepEqual((await get(connectorsPath())).body, before);
  });

  it('answers 20404 for a connector that does not exist, and refuses changing the built-in Default', async () => {
    assert.equal((await get(connectorsPath('Nope'))).body.code, 20404);
    assert.equal((await post(connectorsPath('Nope'), { Mode: 'live' })).body.code, 20404);
    assert.equal(await deleteConnector(paytone, 'Nope'), 404);
    const builtIn = await post(connectorsPath('Default'), { SupportsCharge: 'false' });
    assert.equal(builtIn.body.code, 64020);
    assert.match(builtIn.body.message, /create a connector with UniqueName=Default/);
  });

  it('asks for the account\'s credentials', async () => {
    const { status, body } = await paytone.get(connectorsPath(), [ACCOUNT_SID, 'f'.repeat(32)]);
    assert.equal(status, 401);
    assert.equal(body.code, 20003);
  });

  it('deletes (204); a deleted name is unknown to sessions again (64004)', async () => {
    assert.equal(await deleteConnector(paytone, 'Stripe'), 204);
    assert.equal((await get(connectorsPath('Stripe'))).status, 404);
    const call = await paytone.client().calls.create({ to: '+15551230100', from: '+15551230101', twiml: '<Response/>' });
    const refused = await paytone
      .client()
      .calls(call.sid)
      .payments.create({ idempotencyKey: 'gone-1', statusCallback: 'https://app.example/pay', chargeAmount: 5, paymentConnector: 'Stripe' })
      .then(() => null, (err: { code: number }) => err.code);
    assert.equal(refused, 64004);
  });

  it('never returns a secret, and keeps none in plain text on disk', async () => {
    for (const body of bodies) {
      assert.ok(!body.includes(PASSWORD) && !body.includes(API_KEY), `a response carried a secret: ${body}`);
    }
    // A cluster keeps its state in PostgreSQL: its rows are what is on disk there.
    const disk = paytone.database ? await paytone.database.allRows() : everythingOnDisk(paytone.dataDir);
    assert.ok(disk.length > 0);
    for (const secret of [PASSWORD, API_KEY]) assert.equal(disk.indexOf(secret), -1, 'a secret is on disk in plain text');
    assert.ok(!paytone.output().includes(PASSWORD) && !paytone.output().includes(API_KEY), 'a secret reached the logs');
  });
});

describe('PAYTONE_CONNECTORS_FILE', () => {
  it('loads the file at start-up, secrets from the environment, and upserts on the next start', async () => {
    const dataDir = tempDataDir();
    const file = path.join(dataDir, 'connectors.json');
    const entries = [
      { unique_name: 'Acme', type: 'generic', mode: 'live', endpoint_url: 'https://pay.acme.example/twilio', username: 'twilio', password_env: 'ACME_PASSWORD', currencies: ['USD'] },
      { unique_name: 'Default', type: 'sandbox', supports_tokenize: false },
    ];
    fs.writeFileSync(file, JSON.stringify({ [ACCOUNT_SID]: entries }));
    let paytone = await startPaytone({ dataDir, env: { PAYTONE_CONNECTORS_FILE: file, ACME_PASSWORD: PASSWORD } });
    try {
      const { body } = await paytone.get(connectorsPath());
      assert.deepEqual(body.pay_connectors.map((c: any) => [c.unique_name, c.type, c.built_in]), [['Acme', 'generic', false], ['Default', 'sandbox', false]]);
      const acme = body.pay_connectors[0];
      assert.equal(acme.password_set, true);
      assert.deepEqual(acme.currencies, ['USD']);
      assert.equal(body.pay_connectors[1].supports_tokenize, false);
      await paytone.stop();

      entries[0]!.mode = 'test';
      fs.writeFileSync(file, JSON.stringify({ [ACCOUNT_SID]: entries }));
      paytone = await startPaytone({ dataDir, env: { PAYTONE_CONNECTORS_FILE: file, ACME_PASSWORD: PASSWORD } });
      assert.equal((await paytone.get(connectorsPath('Acme'))).body.mode, 'test');
      assert.ok(!paytone.output().includes(PASSWORD));
    } finally {
      await paytone.stop();
    }
  });

  it('refuses to start on a bad file, naming every mistake', () => {
    const dataDir = tempDataDir();
    const file = path.join(dataDir, 'connectors.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        [ACCOUNT_SID]: [{ unique_name: 'Acme', type: 'generic', endpoint_url: 'https://x.example', username: 'u', password_env: 'UNSET_VAR' }, { unique_name: 'B', type: 'nope' }],
        ACbad: [],
      }),
    );
    const main = new URL('../../src/main.js', import.meta.url).pathname;
    let output = '';
    try {
      execFileSync(process.execPath, [main], { env: { PATH: process.env.PATH ?? '', PORT: '0', PAYTONE_DATA_DIR: dataDir, PAYTONE_CONNECTORS_FILE: file }, stdio: 'pipe', timeout: 20_000 });
      assert.fail('paytone started with a bad connectors file');
    } catch (err) {
      output = String((err as { stderr?: Buffer }).stderr ?? '');
    }
    assert.match(output, /\[0\]: password_env names the environment variable "UNSET_VAR", which is not set/);
    assert.match(output, /\[1\]: Type must be one of sandbox, generic, stripe/);
    assert.match(output, /"ACbad" is not an account SID/);
  });
});

describe('PayConnectors under PAYTONE_CALLBACK_POLICY=public', () => {
  it('refuses to start with a connectors file whose endpoint the policy refuses', () => {
    const dataDir = tempDataDir();
    const file = path.join(dataDir, 'connectors.json');
    fs.writeFileSync(file, JSON.stringify({ [ACCOUNT_SID]: [{ unique_name: 'Inside', type: 'generic', endpoint_url: 'http://10.0.0.9/pay', username: 'u', password_env: 'PATH' }] }));
    const main = new URL('../../src/main.js', import.meta.url).pathname;
    const env = { PATH: process.env.PATH ?? '', PORT: '0', PAYTONE_DATA_DIR: dataDir, PAYTONE_CONNECTORS_FILE: file, PAYTONE_CALLBACK_POLICY: 'public' };
    const started = spawnSync(process.execPath, [main], { env, encoding: 'utf8', timeout: 20_000 });
    assert.notEqual(started.status, 0);
    assert.match(started.stderr, /Inside: PaymentConnector "Inside" cannot be used: its EndpointUrl "http:\/\/10\.0\.0\.9\/pay" is refused: it uses plain http/);
  });

  it('refuses an endpoint inside the network unless allowed, as for callbacks', async () => {
    const paytone = await startPaytone({ env: { PAYTONE_CALLBACK_POLICY: 'public', PAYTONE_CALLBACK_ALLOW: 'pay.internal' } });
    try {
      const inside = await paytone.post(connectorsPath(), { ...GENERIC, EndpointUrl: 'https://169.254.169.254/latest' });
      assert.equal(inside.body.code, 64020);
      assert.match(inside.body.message, /EndpointUrl/);
      assert.equal((await paytone.get(connectorsPath('Acme'))).status, 404, 'nothing was created');
      const allowed = await paytone.post(connectorsPath(), { ...GENERIC, EndpointUrl: 'http://pay.internal/twilio' });
      assert.equal(allowed.status, 201, JSON.stringify(allowed.body));
    } finally {
      await paytone.stop();
    }
  });
});
