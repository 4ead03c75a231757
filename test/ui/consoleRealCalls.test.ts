/**
 * Real calls in the agent console (headless Chromium): an inbound call shows ringing, then answered; its `<Dial>`
 * leg shows under it, dialing, ringing, answered; each end leaves the list and the activity log says how it ended;
 * a reloaded console lists the calls that are up from the API. The SIP side is played by the call lifecycle the SIP
 * engine reports into, in the same process. What a call's TwiML says shows in the activity log ("paytone said: …").
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { buildServer } from '../../src/api/server.js';
import { createAppContext, type AppContext } from '../../src/app/context.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { newPhoneNumber } from '../../src/domain/phoneNumbers.js';
import { newSid } from '../../src/domain/sids.js';
import { chromiumSkipReason, launchChromium } from '../support/browser.js';
import { until } from '../support/poll.js';

const AC = 'AC' + '7'.repeat(32);
const skip = chromiumSkipReason();
if (skip) console.log(`# skipping the console's real-call test: ${skip}`);

describe('real calls in the agent console', { skip }, () => {
  let app: AppContext;
  let server: FastifyInstance;
  let browser: Browser;
  let agent: Page;
  let token: string;
  let base = '';
  const PN = newSid('PN');

  before(async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paytone-console-calls-'));
    app = await createAppContext(loadConfig({ PAYTONE_DATA_DIR: dataDir }), createLogger({ level: 'silent' }));
    ({ authToken: token } = await app.accounts.createAccount({ sid: AC, friendlyName: 'console calls' }));
    await app.phoneNumbers.insert(newPhoneNumber({ sid: PN, accountSid: AC, phoneNumber: '+15551230001', settings: {}, now: Date.now() }));
    server = buildServer(app);
    await server.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
    agent = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    agent.setDefaultTimeout(15_000);
    base = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`;
    await agent.goto(`${base}/console`);
    await agent.getByLabel('Account SID').fill(AC);
    await agent.getByLabel('Auth token or key secret').fill(token);
    await agent.getByLabel('Auth token or key secret').press('Enter');
    await until('the console to be live', async () => (await agent.locator('#connection').getAttribute('data-state')) === 'live');
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await app?.close();
  });

  const stateOf = async (callSid: string) => agent.locator(`button[data-call-sid="${callSid}"] .call-status`).textContent({ timeout: 1000 }).catch(() => null);
  const inbound = () => app.callProgress.inbound({ accountSid: AC, to: '+15551230001', from: '+15559870002', phoneNumberSid: PN, sipCallId: `${newSid('CA')}@127.0.0.1`, sipSourceIp: '127.0.0.1' });

  it('shows a call ringing, answered, its leg under it, and each end in the activity log', async () => {
    const call = await inbound();
    await until('the call to ring in the list', async () => (await stateOf(call.sid)) === 'Ringing');
    assert.match((await agent.locator(`button[data-call-sid="${call.sid}"]`).textContent()) ?? '', /\+15559870002 → \+15551230001.*incoming/);
    await app.callProgress.answered(call.sid);
    await until('the call to show answered', async () => (await stateOf(call.sid)) === 'Answered');

    const leg = await app.callProgress.child({ parentCallSid: call.sid, to: 'sip:agent@127.0.0.1:5090', from: '+15559870002' });
    const nested = agent.locator(`li:has(> button[data-call-sid="${call.sid}"]) .call-legs button[data-call-sid="${leg.sid}"]`);
    await nested.waitFor();
    assert.equal(await stateOf(leg.sid), 'Dialing');
    await app.callProgress.ringing(leg.sid);
    await until('the leg to ring', async () => (await stateOf(leg.sid)) === 'Ringing');
    await app.callProgress.answered(leg.sid);
    await until('the leg to show answered', async () => (await stateOf(leg.sid)) === 'Answered');
    assert.match((await nested.textContent()) ?? '', /sip:agent@127\.0\.0\.1:5090.*leg/);

    await app.callProgress.ended(leg.sid, 'completed');
    await until('the leg to leave the list', async () => (await agent.locator(`button[data-call-sid="${leg.sid}"]`).count()) === 0);
    await app.callProgress.ended(call.sid, 'completed');
    await until('the call to leave the list', async () => (await agent.locator(`button[data-call-sid="${call.sid}"]`).count()) === 0);
    const activity = (await agent.locator('#log').textContent()) ?? '';
    assert.match(activity, new RegExp(`…${leg.sid.slice(-6)} ended \\(completed\\)`));
    assert.match(activity, new RegExp(`…${call.sid.slice(-6)} ended \\(completed\\)`));
  });

  it('a reloaded console lists the calls that are up, ringing ones included', async () => {
    const ringing = await inbound();
    const unanswered = await inbound();
    await app.callProgress.ended(unanswered.sid, 'no-answer');
    await agent.reload();
    await until('the ringing call to be listed', async () => (await stateOf(ringing.sid)) === 'Ringing');
    assert.equal(await agent.locator(`button[data-call-sid="${unanswered.sid}"]`).count(), 0, 'an ended call is not');
    await app.callProgress.ended(ringing.sid, 'canceled');
  });

  it('shows "paytone said" and "paytone played" for the call the agent picked', async () => {
    const api = async (url: string, form: Record<string, string>) => {
      const response = await fetch(`${base}/2010-04-01/Accounts/${AC}${url}`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${AC}:${token}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form),
      });
      return (await response.json()) as { sid: string };
    };
    const call = await api('/Calls.json', { To: '+14155550100', From: '+14155550199', Twiml: '<Response><Pause length="600"/></Response>' });
    await agent.locator(`button[data-call-sid="${call.sid}"]`).click();
    await api(`/Calls/${call.sid}.json`, { Twiml: `<Response><Say>Please have your card ready.</Say><Play>${base}/favicon.svg</Play><Hangup/></Response>` });
    const log = agent.locator('#log');
    await until('the prompt to be in the activity log', async () => /paytone said: Please have your card ready\./.test((await log.textContent()) ?? ''));
    await until('the played file too', async () => (await log.textContent())?.includes(`paytone played: ${base}/favicon.svg`) === true);
  });
});
