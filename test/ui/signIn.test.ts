/**
 * Signing in to the agent console and the caller's phone with a wrong token, then the right one, in headless
 * Chromium: each page says at once that paytone refused the credentials, lets the agent try again, and signs in
 * on the second try without a reload. paytone's 401 to the pages carries no `WWW-Authenticate`, so the browser
 * never takes the page's request as a login challenge (which would hold it, or pop up the browser's own dialog).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ACCOUNT_SID, AUTH_TOKEN, startPaytone, type PaytoneProcess } from '../support/paytone.js';
import { chromiumSkipReason, launchChromium } from '../support/browser.js';

const skip = chromiumSkipReason();
if (skip) console.log(`# skipping the sign-in browser tests: ${skip}`);

const WRONG_TOKEN = '0123456789abcdef'.repeat(2);
/** Long enough for a loaded machine, far shorter than the hold a login challenge would put on the request. */
const SHOWN_WITHIN_MS = 10_000;
const PAGES = [
  ['/console', '#desk'],
  ['/phone', '#phone'],
] as const;
/** PCI DSS 8.2.8: a session idle for more than 15 minutes asks for the credentials again. */
const IDLE_MINUTES = 15;

describe('signing in to the console and the phone with a wrong token, then the right one', { skip }, () => {
  let paytone: PaytoneProcess;
  let browser: Browser;

  before(async () => {
    paytone = await startPaytone();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await paytone?.stop();
  });

  async function submit(page: Page, token: string): Promise<void> {
    await page.getByLabel('Account SID').fill(ACCOUNT_SID);
    await page.getByLabel('Auth token or key secret').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  for (const [pathName, signedIn] of PAGES) {
    it(`${pathName} shows its own message, then accepts the right token`, async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const refusals: Array<Record<string, string>> = [];
      page.on('response', (response) => {
        if (response.status() === 401) refusals.push(response.headers());
      });
      await page.goto(paytone.baseUrl + pathName);

      await submit(page, WRONG_TOKEN);
      const problem = page.locator('#sign-in .problem');
      await problem.filter({ hasText: 'paytone did not accept these credentials.' }).waitFor({ timeout: SHOWN_WITHIN_MS });
      assert.equal(refusals.length, 1);
      assert.equal(refusals[0]!['www-authenticate'], undefined, 'no login challenge for the page');
      assert.equal(await page.getByLabel('Auth token or key secret').evaluate((input) => input === document.activeElement), true, 'the token field is ready for another try');

      await submit(page, AUTH_TOKEN);
      await page.locator(signedIn).waitFor({ state: 'visible', timeout: SHOWN_WITHIN_MS });
      assert.equal(await page.locator('#sign-in').isHidden(), true);
      await context.close();
    });
  }

  for (const [pathName, signedIn] of PAGES) {
    it(`${pathName} signs out after ${IDLE_MINUTES} minutes without activity, and says so`, async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.clock.install();
      await page.goto(paytone.baseUrl + pathName);
      await submit(page, AUTH_TOKEN);
      await page.locator(signedIn).waitFor({ state: 'visible', timeout: SHOWN_WITHIN_MS });

      // Activity keeps the agent signed in.
      await page.clock.runFor((IDLE_MINUTES - 1) * 60_000);
      await page.mouse.move(10, 10);
      await page.keyboard.press('Shift');
      await page.clock.runFor((IDLE_MINUTES - 1) * 60_000);
      assert.equal(await page.locator(signedIn).isVisible(), true, 'still signed in after activity');

      await page.clock.runFor(2 * 60_000);
      await page.locator('#sign-in .problem').filter({ hasText: `Signed out after ${IDLE_MINUTES} minutes without activity` }).waitFor({ timeout: SHOWN_WITHIN_MS });
      assert.equal(await page.locator(signedIn).isHidden(), true);
      assert.equal(await page.evaluate(() => sessionStorage.getItem('paytone.sign-in')), null, 'the credentials are forgotten');
      await context.close();
    });
  }
});
