/**
 * An HTTP fuzz run over every route the server registers (listed from the server itself, so a route added later
 * is fuzzed too): random methods, odd SIDs and paths, malformed and oversized bodies, wrong content types,
 * invalid UTF-8, repeated keys, broken and missing credentials, sent over a bare socket to the real server.
 * Whatever arrives: never a 5xx, never a crash, and every refusal is Twilio's envelope with the HTTP status.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createAppContext } from '../../src/app/context.js';
import { buildServer } from '../../src/api/server.js';
import { ACCOUNT_SID, AUTH_TOKEN } from '../support/paytone.js';
import { rawRequest, type RawResponse } from '../support/rawHttp.js';
import { assertEnvelopeText } from '../support/envelope.js';
import { openPaytone, type PaytoneUnderTest } from './flows.js';

const REQUESTS = Number(process.env.PAYTONE_FUZZ_REQUESTS ?? 1000);
const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;

interface Route {
  method: string;
  url: string;
}

/**
 * Every route the server registers, read from a server built in this process: Fastify prints its routing tree,
 * one node per line, indented four columns per level, with the methods of the routes that end there.
 */
async function registeredRoutes(): Promise<Route[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-routes-'));
  const app = await createAppContext(loadConfig({ PAYTONE_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), createLogger({ level: 'silent' }));
  const server = buildServer(app);
  await server.ready();
  const tree = server.printRoutes({ commonPrefix: false });
  await server.close();
  await app.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  const routes: Route[] = [];
  const prefixes: string[] = [];
  for (const line of tree.split('\n')) {
    const node = /^([│├└─\s]*?)([^│├└─\s].*?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!node) continue;
    const depth = Math.floor([...node[1]!].length / 4);
    const url = (prefixes[depth - 1] ?? '') + node[2]!;
    prefixes[depth] = url;
    for (const method of node[3]?.split(', ') ?? []) routes.push({ method, url });
  }
  return routes;
}

let pay: PaytoneUnderTest;
let routes: Route[];
let real: { callSid: string; sid: string };

before(async () => {
  routes = await registeredRoutes();
  // Short timeouts, so that a request the fuzz leaves unfinished (a chunked body with no end) is answered soon.
  pay = await openPaytone({ PAYTONE_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS), PAYTONE_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) });
  const callSid = await pay.startCall({ url: `${pay.receiver.url}/voice` });
  real = await pay.startSession({ chargeAmount: 10 }, callSid);
});

after(async () => pay?.close());

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const sidArb = (prefix: string, realSid: () => string) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(null).map(() => realSid()) },
    { weight: 1, arbitrary: fc.constantFrom(`${prefix}${'0'.repeat(32)}`, `${prefix}${'F'.repeat(32)}`, prefix, '', 'null', '..', '.json', '%2e%2e') },
    { weight: 1, arbitrary: fc.constantFrom('%00', '%FF%FE', '%ZZ', '%', '%E2%82', 'é', '😀', '<script>', "'; DROP TABLE calls;--", 'x'.repeat(500)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map(encodeURIComponent) },
  );

const queryArb = fc.constantFrom('', '', '', '?PageSize=abc', '?Page=-1', '?Page=1&Page=2', '?PageSize=1001', '?Status=completed&To=%2B1555', '?%ZZ=1', '?a[b]=c', '?CallSid=CA&PaymentSid=PK', `?x=${'y'.repeat(3000)}`);

const authArb = fc.constantFrom(
  basic(ACCOUNT_SID, AUTH_TOKEN),
  basic(ACCOUNT_SID, AUTH_TOKEN),
  basic(ACCOUNT_SID, AUTH_TOKEN),
  null,
  basic(ACCOUNT_SID, 'wrong'),
  basic(`AC${'1'.repeat(32)}`, AUTH_TOKEN),
  basic(`SK${'1'.repeat(32)}`, 'secret'),
  basic('', ''),
  basic(ACCOUNT_SID, ''),
  'Basic',
  'Basic !!!notbase64',
  'Basic ' + Buffer.from([0xff, 0xfe, 0x3a, 0x00]).toString('base64'),
  'Bearer token',
  `Basic ${'A'.repeat(4000)}`,
);

const contentTypeArb = fc.constantFrom(
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/x-www-form-urlencoded; charset=iso-8859-1',
  'APPLICATION/X-WWW-FORM-URLENCODED',
  'application/json',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded;;;',
  '',
  null,
);

/** Sent in every parameter; it must never come back unmasked. */
const FUZZ_CARD = '4242424242424242';

const PARAM_NAMES = [
  'IdempotencyKey', 'StatusCallback', 'ChargeAmount', 'Currency', 'PaymentMethod', 'BankAccountType', 'Timeout', 'TokenType',
  'ValidCardTypes', 'RequireMatchingInputs', 'Confirmation', 'Parameter', 'PaymentConnector', 'Capture', 'Status', 'Digits',
  'To', 'From', 'Url', 'Twiml', 'PostalCode', 'SecurityCode', 'MinPostalCodeLength', 'Description', 'Input',
];
const PARAM_VALUES = [
  'k1', 'http://127.0.0.1:1/pay', '/pay', '10', '-1', '1e9', 'usd', 'ach-debit', 'credit-card', '0', '601', 'reusable',
  'visa', 'payment-card-number', 'complete', 'cancel', 'completed', `${FUZZ_CARD}#`, FUZZ_CARD, '*', 'w1w2', '+15551230001',
  'true', 'TRUE', '{"a":1}', '{', 'Default', 'nope', 'dtmf', '',
];

/** One form field, encoded or deliberately broken. */
const fieldArb = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...PARAM_NAMES), fc.constantFrom(...PARAM_VALUES)).map(([k, v]) => `${k}=${encodeURIComponent(v)}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PARAM_NAMES), fc.string({ maxLength: 20 })).map(([k, v]) => `${k}=${encodeURIComponent(v)}`) },
  { weight: 1, arbitrary: fc.constantFrom('Digits=%FF%FE', 'Capture=%C0%AF', 'To=%E2%82', '%ZZ=1', 'Status', '=', '&&&', 'a[b]=1', '__proto__=x', 'constructor=1', 'Digits=\u0000') },
);

/** A body: a form (repeated keys likely), raw bytes that are not UTF-8, JSON, or far too much. */
const bodyArb = fc.oneof(
  { weight: 8, arbitrary: fc.array(fieldArb, { maxLength: 8 }).map((fields) => Buffer.from(fields.join('&'))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.constantFrom(Buffer.from([0x44, 0x69, 0x67, 0x69, 0x74, 0x73, 0x3d, 0xff, 0xc0, 0xaf])) },
  { weight: 1, arbitrary: fc.constantFrom(Buffer.from('{"IdempotencyKey":"k"}'), Buffer.from('<xml/>')) },
  { weight: 1, arbitrary: fc.constantFrom(Buffer.from(`Description=${'a'.repeat(70 * 1024)}`), Buffer.alloc(200 * 1024, 0x41)) },
);

/** How the body is framed: as it is, or with a Content-Length that claims less than is sent. */
const framingArb = fc.constantFrom('length', 'length', 'length', 'short', 'none');

const methodArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('GET', 'POST', 'POST') },
  { weight: 2, arbitrary: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS') },
  { weight: 1, arbitrary: fc.constantFrom('BREW', 'get', 'CONNECT') },
);

interface FuzzRequest {
  method: string;
  target: string;
  headers: Array<[string, string]>;
  body: Buffer;
  framing: string;
}

/** A form the route accepts, so that a share of the run gets past validation and changes state. */
function acceptedForm(route: Route): string {
  if (route.url.endsWith('/Calls.json')) return 'To=%2B15551230001&From=%2B15559870002';
  if (route.url.endsWith('/Payments/:Sid.json')) return 'IdempotencyKey=k-capture&StatusCallback=http%3A%2F%2F127.0.0.1%3A1%2Fpay&Capture=postal-code';
  if (route.url.endsWith('/Dtmf.json')) return 'Digits=1';
  return '';
}

/**
 * A request: a third of them well formed (the route's method, valid credentials, real SIDs, a form it accepts),
 * the rest with every part drawn from the hostile lists.
 */
function requestArb(): fc.Arbitrary<FuzzRequest> {
  const hostile = fc.record({
    method: fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: methodArb }),
    ac: sidArb('AC', () => ACCOUNT_SID),
    ca: sidArb('CA', () => real.callSid),
    pk: sidArb('PK', () => real.sid),
    suffix: fc.constantFrom('', '', '/', '//', '/../x', '.json'),
    query: queryArb,
    auth: authArb,
    contentType: contentTypeArb,
    accept: fc.constantFrom(null, null, 'application/json', 'text/event-stream', '*/*'),
    extra: fc.constantFrom(null, null, null, ['Upgrade', 'websocket'], ['Transfer-Encoding', 'chunked'], ['Expect', '100-continue'], ['Content-Length', '-1'], ['X-Forwarded-For', '::1, 10.0.0.1']),
    body: bodyArb,
    framing: framingArb,
  });
  return fc
    .tuple(fc.constantFrom(...routes), fc.boolean(), fc.boolean(), hostile)
    .map(([route, wellFormed, coin, r]) => {
      const good = wellFormed && coin;
      const method = good ? route.method : (r.method ?? route.method);
      const path = good
        ? route.url.replace(':AccountSid', ACCOUNT_SID).replace(':CallSid', real.callSid).replace(':Sid', real.sid)
        : route.url.replace(':AccountSid', r.ac).replace(':CallSid', r.ca).replace(':Sid', r.pk).replace(/:[A-Za-z]+/g, 'x') + r.suffix;
      const headers: Array<[string, string]> = [];
      const auth = good ? basic(ACCOUNT_SID, AUTH_TOKEN) : r.auth;
      const contentType = good ? 'application/x-www-form-urlencoded' : r.contentType;
      if (auth !== null) headers.push(['Authorization', auth]);
      if (contentType !== null) headers.push(['Content-Type', contentType]);
      if (!good && r.accept !== null) headers.push(['Accept', r.accept]);
      if (!good && r.extra !== null) headers.push(r.extra as [string, string]);
      const withBody = method !== 'GET' && method !== 'HEAD';
      const body = good ? Buffer.from(acceptedForm(route)) : r.body;
      return {
        method,
        target: path + (good ? '' : r.query),
        headers,
        body: withBody ? body : Buffer.alloc(0),
        framing: !withBody ? 'none' : good ? 'length' : r.framing,
      };
    });
}

function wireBytes(request: FuzzRequest): Buffer {
  const lines = [`${request.method} ${request.target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  if (request.framing === 'length') lines.push(`Content-Length: ${request.body.length}`);
  if (request.framing === 'short') lines.push(`Content-Length: ${Math.floor(request.body.length / 2)}`);
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), request.framing === 'none' ? Buffer.alloc(0) : request.body]);
}

function describeRequest(request: FuzzRequest, response: RawResponse): string {
  return `${request.method} ${request.target.slice(0, 200)} [${request.headers.map(([k, v]) => `${k}: ${v.slice(0, 60)}`).join('; ')}] body ${request.body.length} bytes (${request.framing}) -> ${response.status} ${response.body.slice(0, 300)}`;
}

describe('HTTP fuzz over every route', () => {
  it('lists the routes to fuzz from the server itself', () => {
    assert.ok(routes.length >= 10, `routes: ${JSON.stringify(routes)}`);
    assert.ok(routes.some((r) => r.url.endsWith('/Payments/:Sid.json') && r.method === 'POST'));
  });

  it('answers every method of every route, and HEAD on each, with real SIDs and credentials', async () => {
    const answers: string[] = [];
    for (const route of routes) {
      for (const method of new Set([route.method, 'HEAD', 'OPTIONS', 'DELETE'])) {
        const target = route.url.replace(':AccountSid', ACCOUNT_SID).replace(':CallSid', real.callSid).replace(':Sid', real.sid).replace(/:[A-Za-z]+/g, 'x');
        const request: FuzzRequest = { method, target, headers: [['Authorization', basic(ACCOUNT_SID, AUTH_TOKEN)]], body: Buffer.alloc(0), framing: 'none' };
        const response = await rawRequest(pay.paytone.port, wireBytes(request), { idleMs: 5_000 });
        answers.push(`${method} ${route.url} -> ${response.status}`);
        assert.ok(response.status >= 200 && response.status < 500, describeRequest(request, response));
        if (response.status >= 400 && method !== 'HEAD') assertEnvelopeText(response.status, response.headers, response.body, describeRequest(request, response));
      }
    }
    assert.ok(answers.length >= routes.length * 3, answers.join('\n'));
  });

  it(`answers ${REQUESTS} hostile requests without a 5xx, a crash or a bare error`, async () => {
    const statuses = new Map<number, number>();
    const answers: string[] = [];
    await fc.assert(
      fc.asyncProperty(requestArb(), async (request) => {
        const response = await rawRequest(pay.paytone.port, wireBytes(request), { idleMs: REQUEST_TIMEOUT_MS + 5_000 });
        const what = describeRequest(request, response);
        answers.push(response.body);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const json = response.headers['content-type']?.startsWith('application/json') ?? false;
        assert.ok(response.status >= 200 && response.status < 500, `unexpected status: ${what}`);
        if (response.status >= 400 && request.method !== 'HEAD') assertEnvelopeText(response.status, response.headers, response.body, what);
        if (response.status < 300 && request.method !== 'HEAD' && json) assert.doesNotThrow(() => JSON.parse(response.body), what);
        assert.equal(pay.paytone.child.exitCode, null, `the server exited after: ${what}`);
      }),
      { numRuns: REQUESTS, includeErrorInReport: true, seed: Number(process.env.PAYTONE_FUZZ_SEED ?? Date.now() % 2 ** 31) },
    );
    // The run must have reached the handlers, not only the auth check, or it proves little.
    for (const expected of [200, 201, 202, 400, 401, 404]) assert.ok(statuses.has(expected), `no ${expected} in ${JSON.stringify([...statuses])}`);
    const ok = await pay.paytone.get(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${real.callSid}.json`);
    assert.equal(ok.status, 200, 'the server still answers');
    assert.doesNotMatch(pay.paytone.output(), /unhandled error/);
    // Card numbers went into every parameter (Digits on the live call included): none came back or reached the log.
    assert.equal(pay.paytone.output().includes(FUZZ_CARD), false, 'a card number reached the process output');
    assert.deepEqual(answers.filter((body) => body.includes(FUZZ_CARD)), [], 'a card number came back in a response');
  });
});
