/**
 * What every answer carries for browsers and caches, whatever route gave it: `X-Frame-Options: DENY` and
 * `X-Content-Type-Options: nosniff` everywhere (no page or answer of paytone's can be framed or sniffed into a
 * script), `Cache-Control: no-store` on API answers (they hold account data: no cache, shared or private, keeps
 * them), and a 404 that does not echo a path which may hold a card number.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { startInProcess } from '../support/inProcess.js';

const SID = 'AC' + 'e'.repeat(32);
const TOKEN = 'f'.repeat(32);
const auth = 'Basic ' + Buffer.from(`${SID}:${TOKEN}`).toString('base64');

let server: FastifyInstance;
let close: () => Promise<void>;

before(async () => ({ server, close } = await startInProcess(SID, TOKEN)));
after(async () => close());

describe('every answer', () => {
  it('cannot be framed or sniffed, and API answers are never cached', async () => {
    const answers = {
      created: await server.inject({ method: 'POST', url: `/2010-04-01/Accounts/${SID}/Calls.json`, headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'To=%2B15551230001&From=%2B15559870002' }),
      read: await server.inject({ method: 'GET', url: `/2010-04-01/Accounts/${SID}.json`, headers: { authorization: auth } }),
      refused: await server.inject({ method: 'GET', url: `/2010-04-01/Accounts/${SID}.json` }),
      invalid: await server.inject({ method: 'POST', url: `/2010-04-01/Accounts/${SID}/Calls.json`, headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'To=' }),
      missing: await server.inject({ method: 'GET', url: '/nothing/here' }),
      root: await server.inject({ method: 'GET', url: '/' }),
      health: await server.inject({ method: 'GET', url: '/healthz' }),
    };
    for (const [name, answer] of Object.entries(answers)) {
      assert.equal(answer.headers['x-frame-options'], 'DENY', name);
      assert.equal(answer.headers['x-content-type-options'], 'nosniff', name);
      assert.equal(answer.headers['cache-control'], 'no-store', name);
      assert.equal(answer.headers['strict-transport-security'], undefined, `${name}: no HSTS over plain http`);
    }
    assert.deepEqual(Object.values(answers).map((a) => a.statusCode), [201, 200, 401, 400, 404, 200, 200]);
  });

  it('pages too, which may be cached but revalidated', async () => {
    for (const url of ['/console', '/phone', '/ui/paytone.js']) {
      const page = await server.inject({ method: 'GET', url });
      assert.equal(page.statusCode, 200, url);
      assert.equal(page.headers['x-frame-options'], 'DENY', url);
      assert.equal(page.headers['x-content-type-options'], 'nosniff', url);
      assert.equal(page.headers['cache-control'], 'no-cache', url);
    }
  });

  it('a 404 names the path without a card number that was typed into it', async () => {
    for (const url of ['/4242424242424242', '/2010-04-01/Accounts/4242 4242 4242 4242/x.json', '/ui/4242424242424242.js', `/2010-04-01/Accounts/${SID}/Calls/4242-4242-4242-4242.json/x`]) {
      const answer = await server.inject({ method: 'GET', url: encodeURI(url), headers: { authorization: auth } });
      assert.equal(answer.statusCode, 404, url);
      assert.equal(answer.json().code, 20404, url);
      assert.doesNotMatch(answer.body, /4242\D{0,3}4242\D{0,3}4242/, url);
      assert.match(answer.body, /4242/, 'the last four remain, to recognise the path');
    }
  });
});
