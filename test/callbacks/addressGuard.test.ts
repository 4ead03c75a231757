import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Agent } from 'undici';
import { guardedLookup } from '../../src/callbacks/addressGuard.js';
import { postCallback } from '../../src/callbacks/deliver.js';
import { parseCallbackPolicy } from '../../src/domain/callbackPolicy.js';
import { GenericConnector } from '../../src/connectors/genericConnector.js';
import { TYPE_LIMITS } from '../../src/domain/connectorSettings.js';
import { MemoryLedger } from '../support/memoryLedger.js';
import { cardRequest } from '../support/gatewayRequests.js';
import { startGenericGateway } from '../support/genericGateway.js';
import { StripeConnector } from '../../src/connectors/stripeConnector.js';
import { startStripeLike } from '../support/stripeLike.js';

let received = 0;
const receiver = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received += 1;
    res.writeHead(204).end();
  });
});
const agents: Agent[] = [];
let port = 0;

before(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  port = (receiver.address() as AddressInfo).port;
});
after(async () => {
  await Promise.all(agents.map((a) => a.close()));
  receiver.close();
});

/** POSTs to `localhost` (which resolves to 127.0.0.1) through an agent guarded by the given policy. */
async function postToLocalhost(mode: string, allow = '') {
  const agent = new Agent({ connect: { lookup: guardedLookup(parseCallbackPolicy(mode, allow).policy!) } });
  agents.push(agent);
  return postCallback(agent, {
    url: `http://localhost:${port}/pay`,
    params: { Sid: 'PK01' },
    signature: 'sig',
    idempotencyToken: 'PK01-1',
    userAgent: 'TwilioProxy/1.1',
    timeoutMs: 5000,
  });
}

test('a host name that resolves to a loopback address is refused before connecting, and not retried', async () => {
  const before = received;
  assert.deepEqual(await postToLocalhost('public'), {
    kind: 'unsendable',
    error: 'refused by the callback policy: the host resolves to a loopback address',
  });
  assert.equal(received, before, 'nothing reached the receiver');
});

test('an allowed host name, or an allowed network, lets the same callback through', async () => {
  assert.deepEqual(await postToLocalhost('public', 'localhost'), { kind: 'response', status: 204 });
  assert.deepEqual(await postToLocalhost('public', '127.0.0.0/8,::1'), { kind: 'response', status: 204 });
  assert.deepEqual(await postToLocalhost('any'), { kind: 'response', status: 204 });
});

test('a name that does not resolve is a network failure to retry, not a refusal', async () => {
  const agent = new Agent({ connect: { lookup: guardedLookup(parseCallbackPolicy('public', '').policy!) } });
  agents.push(agent);
  const result = await postCallback(agent, {
    url: 'http://no-such-host.invalid/pay',
    params: {},
    signature: 'sig',
    idempotencyToken: 'PK01-2',
    userAgent: 'TwilioProxy/1.1',
    timeoutMs: 5000,
  });
  assert.equal(result.kind, 'no-response');
});

test('a gateway endpoint whose name resolves inside the network gets no card data: the generic connector is refused before connecting', async () => {
  const gateway = await startGenericGateway();
  const agent = new Agent({ connect: { lookup: guardedLookup(parseCallbackPolicy('public', '').policy!) } });
  agents.push(agent);
  const generic = new GenericConnector({
    name: 'Internal',
    mode: 'live',
    capabilities: TYPE_LIMITS.generic,
    endpointUrl: gateway.url.replace('127.0.0.1', 'localhost'),
    username: gateway.username,
    password: gateway.password,
    ledger: new MemoryLedger(),
    signal: new AbortController().signal,
    retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20, timeoutMs: 2000 },
    dispatcher: agent,
  });
  try {
    const outcome = await generic.execute(cardRequest('4242424242424242'));
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.connectorError, 'gateway_unreachable');
    assert.match(!outcome.ok ? outcome.paymentError : '', /ECALLBACKREFUSED/);
    assert.equal(gateway.requests.length, 0, 'the gateway behind localhost saw nothing');
  } finally {
    await gateway.close();
  }
});

test('the Stripe connector follows the same guard: an API base that resolves to loopback is never called', async () => {
  const stripe = await startStripeLike();
  const guarded = (allow: string) =>
    new StripeConnector({
      name: 'Stripe',
      mode: 'test',
      capabilities: TYPE_LIMITS.stripe,
      apiKey: stripe.apiKey,
      apiBase: stripe.apiBase.replace('127.0.0.1', 'localhost'),
      ledger: new MemoryLedger(),
      signal: new AbortController().signal,
      retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20, timeoutMs: 2000 },
      lookup: guardedLookup(parseCallbackPolicy('public', allow).policy!),
    });
  try {
    const refused = await guarded('').execute(cardRequest('4242424242424242'));
    assert.equal(refused.ok, false);
    assert.equal(stripe.requests.length, 0, 'the API behind localhost saw nothing');
    const allowed = await guarded('localhost').execute(cardRequest('4242424242424242'));
    assert.equal(allowed.ok, true, 'the same connector works once the host is allowed');
  } finally {
    await stripe.close();
  }
});
