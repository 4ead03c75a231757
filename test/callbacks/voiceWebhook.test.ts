/**
 * The voice webhook against a real HTTP app on 127.0.0.1: signed as `twilio.validateRequest` checks it by POST and
 * by GET, and every way an app can fail to give TwiML comes back as Twilio's code with the request and the answer.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import twilio from 'twilio';
import { VoiceWebhook } from '../../src/callbacks/voiceWebhook.js';
import { ANY_CALLBACK, parseCallbackPolicy } from '../../src/domain/callbackPolicy.js';

const AC = 'AC' + 'a'.repeat(32);
const TOKEN = 'f'.repeat(32);
const TWIML = '<Response><Hangup/></Response>';

interface Seen {
  method: string;
  url: string;
  body: string;
  headers: http.IncomingHttpHeaders;
}

describe('voice webhook', () => {
  const seen: Seen[] = [];
  let base = '';
  let server: http.Server;
  // Long enough for a loaded machine to answer the quick paths; `/slow` still times out, after it.
  const webhook = new VoiceWebhook({ authTokenFor: async () => TOKEN, policy: ANY_CALLBACK, timeoutMs: 2000 });

  before(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: `${base}${req.url}`, body, headers: req.headers });
        const path = new URL(req.url!, base).pathname;
        if (path === '/twiml') return res.writeHead(200, { 'content-type': 'text/xml' }).end(TWIML);
        if (path === '/no-type') return res.writeHead(200).end(TWIML);
        if (path === '/error') return res.writeHead(500, { 'content-type': 'text/plain' }).end('boom 4242424242424242');
        if (path === '/plain') return res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
        if (path === '/moved') return res.writeHead(302, { location: '/twiml' }).end();
        if (path === '/loop') return res.writeHead(302, { location: '/loop' }).end();
        if (path === '/huge') return res.writeHead(200, { 'content-type': 'text/xml' }).end(`<Response>${' '.repeat(70_000)}</Response>`);
        // '/slow' never answers within the limit.
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await webhook.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const params = { CallSid: 'CA' + 'b'.repeat(32), CallStatus: 'ringing', From: '+15559870002' };

  it('POSTs the parameters as a form, signed, with Twilio\'s user agent', async () => {
    const fetched = await webhook.fetch(AC, { url: `${base}/twiml?desk=1`, method: 'POST', params });
    assert.deepEqual(fetched.ok && fetched.text, TWIML);
    const request = seen.at(-1)!;
    assert.equal(request.method, 'POST');
    assert.equal(request.headers['user-agent'], 'TwilioProxy/1.1');
    assert.deepEqual(Object.fromEntries(new URLSearchParams(request.body)), params);
    assert.ok(twilio.validateRequest(TOKEN, String(request.headers['x-twilio-signature']), request.url, params));
  });

  it('GETs with the parameters in the query string, signed over the whole URL', async () => {
    const fetched = await webhook.fetch(AC, { url: `${base}/no-type`, method: 'GET', params });
    assert.ok(fetched.ok, 'no Content-Type is read as TwiML');
    const request = seen.at(-1)!;
    assert.equal(request.method, 'GET');
    assert.equal(request.body, '');
    assert.deepEqual(Object.fromEntries(new URL(request.url).searchParams), params);
    assert.ok(twilio.validateRequest(TOKEN, String(request.headers['x-twilio-signature']), request.url, {}));
  });

  it('follows a redirect with GET, and gives up on a loop (11215)', async () => {
    const moved = await webhook.fetch(AC, { url: `${base}/moved`, method: 'POST', params });
    assert.ok(moved.ok);
    assert.equal(seen.at(-1)!.method, 'GET');
    const loop = await webhook.fetch(AC, { url: `${base}/loop`, method: 'GET', params });
    assert.equal(!loop.ok && loop.problem.code, 11215);
  });

  it('reports an error answer (11200) with its status and body, digit runs masked', async () => {
    const fetched = await webhook.fetch(AC, { url: `${base}/error`, method: 'POST', params });
    assert.ok(!fetched.ok);
    assert.equal(fetched.problem.code, 11200);
    assert.match(fetched.problem.message, /HTTP 500/);
    assert.equal(fetched.request.response!.status, 500);
    assert.equal(fetched.request.response!.body, 'boom ************4242');
  });

  it('refuses a body that is not TwiML (12300) or too large (12100)', async () => {
    const plain = await webhook.fetch(AC, { url: `${base}/plain`, method: 'POST', params });
    assert.equal(!plain.ok && plain.problem.code, 12300);
    const huge = await webhook.fetch(AC, { url: `${base}/huge`, method: 'POST', params });
    assert.equal(!huge.ok && huge.problem.code, 12100);
  });

  it('reports no answer in time, or none at all, as a connection failure (11205)', async () => {
    const slow = await webhook.fetch(AC, { url: `${base}/slow`, method: 'POST', params });
    assert.ok(!slow.ok);
    assert.equal(slow.problem.code, 11205);
    assert.match(slow.problem.message, /timed out/);
    const closed = await webhook.fetch(AC, { url: 'http://127.0.0.1:9/voice', method: 'POST', params });
    assert.equal(!closed.ok && closed.problem.code, 11205);
  });

  it('never requests a URL the callback policy refuses', async () => {
    const strict = new VoiceWebhook({ authTokenFor: async () => TOKEN, policy: parseCallbackPolicy('public', '').policy!, timeoutMs: 300 });
    const before = seen.length;
    const fetched = await strict.fetch(AC, { url: `${base}/twiml`, method: 'POST', params });
    await strict.close();
    assert.ok(!fetched.ok);
    assert.equal(fetched.problem.code, 11205);
    assert.match(fetched.problem.message, /PAYTONE_CALLBACK_POLICY/);
    assert.equal(seen.length, before, 'nothing reached the app');
  });
});
