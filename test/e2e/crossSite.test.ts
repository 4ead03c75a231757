/**
 * Cross-site request forgery, in headless Chromium with a second origin: a page served by another local server (a
 * different port, so another origin) posts to paytone by an auto-submitted form and by a `no-cors` fetch, trying to
 * make the account's `Default` connector a generic one that sends every card to the attacker's gateway.
 *
 * The browser holds the account's credentials for paytone's origin, as one does after answering a Basic prompt (or
 * after visiting `http://AC...:token@host/`): it sends them with every request to paytone, the attacker's included.
 * paytone must refuse every change that comes from another site, change nothing, and the next ordinary session's
 * card must go to the sandbox gateway, not to the attacker.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { ACCOUNT_SID, AUTH_TOKEN } from '../support/paytone.js';
import { chromiumSkipReason, launchChromium } from '../support/browser.js';
import { startGenericGateway, type GenericGateway } from '../support/genericGateway.js';
import { until } from '../support/poll.js';
import { futureExpiry, isFinalCallback, openPaytone, type PaytoneUnderTest } from './flows.js';

const skip = chromiumSkipReason();
if (skip) console.log(`# skipping the cross-site browser tests: ${skip}`);

const CARD = '4242424242424242';
const CONNECTORS = `/v1/Accounts/${ACCOUNT_SID}/PayConnectors.json`;

interface OtherSite {
  url: string;
  close(): Promise<void>;
}

/** The attacker's page: on load, a hidden form and a fetch both post the connector to paytone. */
function attackPage(paytoneUrl: string, gateway: GenericGateway): string {
  const fields = { UniqueName: 'Default', Type: 'generic', Mode: 'test', EndpointUrl: gateway.url, Username: gateway.username, Password: gateway.password };
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`)
    .join('');
  const body = new URLSearchParams({ ...fields, UniqueName: 'Stolen' }).toString();
  return `<!doctype html><title>Win a prize</title>
<iframe name="sink"></iframe>
<form id="f" method="post" target="sink" action="${paytoneUrl}${CONNECTORS}">${inputs}</form>
<script>
  fetch(${JSON.stringify(paytoneUrl + CONNECTORS)}, { method: 'POST', mode: 'no-cors', credentials: 'include',
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: ${JSON.stringify(body)} })
    .finally(() => { document.getElementById('f').submit(); });
</script>`;
}

async function startOtherSite(html: () => string): Promise<OtherSite> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('requests from another site in Chromium', { skip }, () => {
  let pay: PaytoneUnderTest;
  let gateway: GenericGateway;
  let otherSite: OtherSite;
  let browser: Browser;

  before(async () => {
    pay = await openPaytone();
    gateway = await startGenericGateway();
    otherSite = await startOtherSite(() => attackPage(pay.paytone.baseUrl, gateway));
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await otherSite?.close();
    await gateway?.close();
    await pay?.close();
  });

  /**
   * Opens the attacker's page and returns the status of each of its requests that reached paytone. (Their bodies
   * stay out of the page's reach: the form's lands in a frame that X-Frame-Options keeps from showing, the no-cors
   * fetch's is opaque. test/api/browserRequests.test.ts reads the 20403 envelope.)
   */
  async function attack(options: BrowserContextOptions): Promise<{ page: Page; statuses: number[] }> {
    const context = await browser.newContext(options);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const statuses: number[] = [];
    page.on('response', (response) => {
      if (new URL(response.url()).origin === new URL(pay.paytone.baseUrl).origin) statuses.push(response.status());
    });
    await page.goto(otherSite.url);
    await until('the form and the fetch to be answered', async () => statuses.length >= 2);
    return { page, statuses };
  }

  async function connectorsNow(): Promise<Array<[string, string, boolean]>> {
    const { status, body } = await pay.paytone.get(CONNECTORS);
    assert.equal(status, 200);
    return body.pay_connectors.map((c: any) => [c.unique_name, c.type, c.built_in]);
  }

  /** An ordinary session, run by the agent's app: where does the card go? */
  async function chargeOnce(): Promise<Record<string, string>> {
    const { callSid, sid } = await pay.startSession({ chargeAmount: 10, postalCode: false });
    await pay.capture(callSid, sid, 'payment-card-number', `${CARD}#`);
    await pay.capture(callSid, sid, 'expiration-date', `${futureExpiry()}#`);
    await pay.capture(callSid, sid, 'security-code', '123#');
    return pay.finish(callSid, sid);
  }

  it('refuses a cross-site form and fetch even when the browser sends the account credentials, and the card stays with the sandbox', async () => {
    const { page, statuses } = await attack({ httpCredentials: { username: ACCOUNT_SID, password: AUTH_TOKEN, origin: pay.paytone.baseUrl, send: 'always' } });
    assert.deepEqual(statuses, [403, 403]);
    await page.context().close();

    assert.deepEqual(await connectorsNow(), [['Default', 'sandbox', true]]);
    const final = await chargeOnce();
    assert.equal(isFinalCallback(final), true);
    assert.equal(final.Result, 'success');
    assert.equal(gateway.requests.length, 0, 'the attacker received nothing');
  });

  it('invites no Basic prompt from a browser, so nothing is cached for the attacker to use', async () => {
    const context = await browser.newContext({ httpCredentials: { username: ACCOUNT_SID, password: AUTH_TOKEN, origin: pay.paytone.baseUrl } });
    const page = await context.newPage();
    const response = await page.goto(`${pay.paytone.baseUrl}/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`);
    assert.equal(response?.status(), 401, 'the browser was not asked for credentials, so it sent none');
    assert.equal(response?.headers()['www-authenticate'], undefined);
    assert.match((await page.locator('body').textContent()) ?? '', /"code":20003/);
    await context.close();

    const { statuses } = await attack({});
    assert.deepEqual(statuses, [403, 403]);
    assert.deepEqual(await connectorsNow(), [['Default', 'sandbox', true]]);
  });
});
