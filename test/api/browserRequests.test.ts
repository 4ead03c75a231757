/**
 * Requests from browsers on the wire: a change another site makes a browser send is refused with 20403 before it
 * is authenticated, a change from paytone's own origin or from a client that is no browser goes through, and a
 * 401 carries `WWW-Authenticate: Basic` only for clients that cannot be a browser's script. The official twilio
 * client still gets Twilio's 20003 envelope.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import twilio from 'twilio';
import type { AppContext } from '../../src/app/context.js';
import { startInProcess } from '../support/inProcess.js';

const SID = 'AC' + 'b'.repeat(32);
const TOKEN = 'c'.repeat(32);
const CALLS = `/2010-04-01/Accounts/${SID}/Calls.json`;
const good = 'Basic ' + Buffer.from(`${SID}:${TOKEN}`).toString('base64');
const wrong = 'Basic ' + Buffer.from(`${SID}:${'d'.repeat(32)}`).toString('base64');
const callForm = 'To=%2B15551230001&From=%2B15559870002';

let app: AppContext;
let server: FastifyInstance;
let baseUrl: string;
let close: () => Promise<void>;

before(async () => {
  ({ app, server, close } = await startInProcess(SID, TOKEN));
  baseUrl = await server.listen({ host: '127.0.0.1', port: 0 });
});
after(async () => close());

const post = (headers: Record<string, string>, authorization = good) =>
  server.inject({ method: 'POST', url: CALLS, headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', host: '127.0.0.1:8080', ...headers }, payload: callForm });

describe('changes sent by a browser for another site', () => {
  it('are refused with 20403, even with good credentials, and make nothing', async () => {
    const before = (await app.calls.list(SID, { limit: 1000, offset: 0 })).length;
    for (const headers of <Array<Record<string, string>>>[
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site', origin: 'http://127.0.0.1:9999' },
      { origin: 'http://127.0.0.1:9999' },
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { origin: 'https://127.0.0.1:8080.evil.example' },
    ]) {
      const response = await post(headers);
      assert.equal(response.statusCode, 403, JSON.stringify(headers));
      const body = response.json();
      assert.equal(body.code, 20403);
      assert.equal(body.more_info, 'https://www.twilio.com/docs/errors/20403');
      assert.match(body.message, /another site/);
    }
    assert.equal((await app.calls.list(SID, { limit: 1000, offset: 0 })).length, before);
  });

  it('are refused before authentication: no 401, no work, for a wrong token too', async () => {
    const response = await post({ 'sec-fetch-site': 'cross-site' }, wrong);
    assert.equal(response.statusCode, 403);
    assert.equal(response.headers['www-authenticate'], undefined);
  });

  it('go through from paytone\'s own origin, from the user, and from clients that are no browser', async () => {
    for (const headers of <Array<Record<string, string>>>[{ 'sec-fetch-site': 'same-origin', origin: 'http://127.0.0.1:8080' }, { 'sec-fetch-site': 'none' }, { origin: 'http://127.0.0.1:8080' }, {}]) {
      assert.equal((await post(headers)).statusCode, 201, JSON.stringify(headers));
    }
  });

  it('reads from another site are not changes and are answered as usual', async () => {
    const response = await server.inject({ method: 'GET', url: CALLS, headers: { authorization: good, 'sec-fetch-site': 'cross-site' } });
    assert.equal(response.statusCode, 200);
  });
});

describe('a wrong token', () => {
  it('invites a Basic login only from clients that cannot be a browser script', async () => {
    const plain = await server.inject({ method: 'GET', url: CALLS, headers: { authorization: wrong } });
    assert.equal(plain.statusCode, 401);
    assert.equal(plain.headers['www-authenticate'], 'Basic realm="paytone"');
    for (const headers of <Array<Record<string, string>>>[{ 'x-requested-with': 'paytone' }, { 'sec-fetch-mode': 'cors' }, { 'sec-fetch-mode': 'navigate' }, { origin: 'http://127.0.0.1:8080' }]) {
      const response = await server.inject({ method: 'GET', url: CALLS, headers: { authorization: wrong, ...headers } });
      assert.equal(response.statusCode, 401);
      assert.equal(response.headers['www-authenticate'], undefined, JSON.stringify(headers));
      assert.equal(response.json().code, 20003);
    }
  });

  it('still gives the official twilio client Twilio\'s 20003 envelope', async () => {
    const client = twilio(SID, 'd'.repeat(32));
    client.api.baseUrl = baseUrl;
    await assert.rejects(client.calls.list(), (err: any) => err.status === 401 && err.code === 20003 && err.message === 'Authenticate' && err.moreInfo === 'https://www.twilio.com/docs/errors/20003');
  });
});
