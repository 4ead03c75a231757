/**
 * The agent console and the sandbox phone in headless Chromium: a whole card session and a whole ACH session run
 * by hand through the two pages (each field first typed wrong, asked again, typed right), checking what the agent
 * sees at each step and that nothing the console sends or receives carries a full card number, a security code
 * or a bank account number. Screenshots of both pages are written to test-output/.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ACCOUNT_SID, AUTH_TOKEN, startPaytone, type PaytoneProcess } from '../support/paytone.js';
import { until } from '../support/poll.js';
import { createApiKey } from '../support/apiKey.js';
import { chromiumSkipReason, launchChromium, recordTraffic, valuesOf, type Traffic } from '../support/browser.js';
import { futureExpiry } from './flows.js';

const OUTPUT = path.resolve('test-output');
const LAPTOP = { width: 1280, height: 900 };
const NARROW = { width: 400, height: 860 };

const skip = chromiumSkipReason();
if (skip) console.log(`# skipping the console browser tests: ${skip}`);

describe('agent console and caller phone in Chromium', { skip }, () => {
  let paytone: PaytoneProcess;
  let browser: Browser;
  let apiKey: [string, string];

  before(async () => {
    fs.mkdirSync(OUTPUT, { recursive: true });
    paytone = await startPaytone();
    apiKey = await createApiKey(paytone);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await paytone?.stop();
  });

  /** Opens a page in its own browser context (its own sessionStorage: the agent and the caller are two people). */
  async function openPage(pathName: string, viewport: { width: number; height: number }): Promise<{ page: Page; traffic: Traffic }> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const traffic = await recordTraffic(page);
    await page.goto(paytone.baseUrl + pathName);
    return { page, traffic };
  }

  async function signIn(page: Page, keySid: string, secret: string): Promise<void> {
    await page.getByLabel('Account SID').fill(ACCOUNT_SID);
    if (keySid) await page.getByLabel(/API key SID/).fill(keySid);
    await page.getByLabel('Auth token or key secret').fill(secret);
    // By keyboard, as an agent would.
    await page.getByLabel('Auth token or key secret').press('Enter');
  }

  async function placeCall(phone: Page): Promise<string> {
    await signIn(phone, '', AUTH_TOKEN);
    await phone.getByRole('button', { name: 'Call' }).click();
    await until('the phone to show its call', async () => /^CA[0-9a-f]{32}$/.test((await phone.locator('#call-sid').textContent()) ?? ''));
    assert.match((await phone.locator('#call-state').textContent()) ?? '', /^In call with \+15551230001/);
    return (await phone.locator('#call-sid').textContent())!;
  }

  async function openConsoleOnCall(agent: Page, callSid: string): Promise<void> {
    await signIn(agent, apiKey[0], apiKey[1]);
    await until('the console to be live', async () => (await agent.locator('#connection').textContent()) === '● Live' || (await agent.locator('#connection').getAttribute('data-state')) === 'live');
    assert.match((await agent.locator('#who').textContent()) ?? '', new RegExp(`${ACCOUNT_SID} · key ${apiKey[0]}`));
    const call = agent.locator(`button[data-call-sid="${callSid}"]`);
    await call.waitFor();
    assert.match((await call.textContent()) ?? '', /\+15559870002 → \+15551230001/);
    await call.click();
    await agent.locator('#start-form').waitFor();
  }

  /** What the agent sees in a field's row, read in one go (the row is redrawn as events arrive). */
  async function rowOf(agent: Page, field: string): Promise<{ label: string; state: string; value: string; stateText: string; cardType: string }> {
    return agent.evaluate((name) => {
      const row = document.querySelector<HTMLElement>(`tr[data-field="${name}"]`);
      const text = (selector: string) => row?.querySelector(selector)?.textContent ?? '';
      return { label: text('th'), state: row?.dataset.state ?? '', value: text('output'), stateText: text('td.state'), cardType: text('.card-type') };
    }, field);
  }

  async function untilRow(agent: Page, field: string, state: string) {
    let seen = await rowOf(agent, field);
    return until(
      () => `${field} to be ${state} (is ${JSON.stringify(seen)})`,
      async () => {
        seen = await rowOf(agent, field);
        return seen.state === state && seen;
      },
    );
  }

  async function askFor(agent: Page, field: string, how: 'click' | 'keyboard' = 'click'): Promise<void> {
    const button = agent.locator(`tr[data-field="${field}"] button`);
    if (how === 'keyboard') {
      await button.focus();
      await agent.keyboard.press('Enter');
    } else {
      await button.click();
    }
    await untilRow(agent, field, 'waiting');
  }

  /** The caller presses `keys` on the phone: typed on the keyboard, or clicked on the keypad. */
  async function press(phone: Page, keys: string, by: 'keyboard' | 'keypad'): Promise<void> {
    if (by === 'keyboard') return phone.keyboard.type(keys);
    for (const key of keys) await phone.locator(`#keypad button[data-key="${key}"]`).click();
  }

  /** How the phone names a field, and the digits it expects (a pattern). */
  interface Asked {
    words: string;
    digits: string;
  }

  /**
   * Once the agent has asked for a field, the phone names it and the console waits for the caller; both say how many
   * digits are expected and the seconds left before the field times out.
   */
  async function checkAsked(agent: Page, phone: Page, field: string, { words, digits }: Asked): Promise<void> {
    await until(`the phone to ask for the ${words}`, async () => (await phone.locator('#prompt').textContent()) === `Enter your ${words}, then #`);
    assert.match((await phone.locator('#asked').textContent()) ?? '', new RegExp(`^${digits} digits · \\d+ s left$`));
    let state = '';
    await until(
      () => `the console to wait for the caller (${state})`,
      async () => new RegExp(`^Waiting for the caller · ${digits} digits · \\d+ s left$`).test((state = (await rowOf(agent, field)).stateText)),
    );
  }

  /**
   * The agent asks for a field, the caller types it wrong, the agent asks again (by keyboard), the caller types it
   * right. Returns the row as the agent saw it after the mistake and at the end.
   */
  async function captureWithMistake(agent: Page, phone: Page, field: string, asked: Asked, wrong: string, right: string, by: 'keyboard' | 'keypad' = 'keyboard') {
    await askFor(agent, field);
    await checkAsked(agent, phone, field, asked);
    await press(phone, wrong, by);
    const mistake = await untilRow(agent, field, 'error');
    assert.equal(mistake.value, '', 'an invalid entry leaves no value');
    assert.ok((await required(agent)).includes(mistake.label), 'the field is still required');
    await askFor(agent, field, 'keyboard');
    await press(phone, right, by);
    const captured = await untilRow(agent, field, 'captured');
    const focused = await agent.evaluate(() => document.activeElement?.getAttribute('aria-label'));
    assert.equal(focused, `Ask again for ${mistake.label}`, 'the button the agent pressed keeps the focus while the row is redrawn');
    return { mistake, captured };
  }

  /** Completes the session and checks what the agent and the caller are shown. */
  async function completeAndCheck(agent: Page, phone: Page): Promise<void> {
    assert.equal(await required(agent), 'Everything is captured: ready to complete.');
    await agent.getByRole('button', { name: 'Complete payment' }).click();
    await until('the session to complete', async () => (await agent.locator('#session-status').textContent()) === 'Completed');
    assert.equal(await agent.locator('#result .headline').textContent(), 'Payment succeeded');
    assert.match((await agent.locator('[data-role="confirmation-code"]').textContent()) ?? '', /^ch_[A-Za-z0-9]+$/);
    assert.equal(await agent.locator('[data-role="result"]').textContent(), 'success');
    assert.ok(await agent.getByRole('button', { name: 'Start another session' }).isVisible());
    await until('the phone to hear the result', async () => (await phone.locator('#prompt').textContent()) === 'Your payment was successful.');
  }

  const required = async (agent: Page) => (await agent.locator('#required').textContent()) ?? '';

  /** What the console's traffic must never carry, and proof that it carried the session at all. */
  function assertNothingSensitive(traffic: Traffic, secrets: string[], refusalsExpected = 0): void {
    const text = traffic.text();
    assert.ok(traffic.sseMessages() > 10, `the console followed the session on its event stream (${traffic.sseMessages()} messages)`);
    for (const secret of secrets) assert.ok(!text.includes(secret), `the console's traffic never carries ${secret.slice(0, 4)}…`);
    const codes = [...traffic.json().flatMap((body) => valuesOf(body, /^(SecurityCode|security_code)$/))];
    for (const code of codes) assert.ok(code === null || /^x+$/.test(String(code)), `a security code is only ever shown masked, got ${String(code)}`);
    for (const form of traffic.forms()) {
      for (const [key, value] of form) assert.ok(!/^\d{3,}$/.test(value) || ['ChargeAmount', 'Timeout', 'MinPostalCodeLength'].includes(key), `the console never posts digits (${key})`);
    }
    assert.deepEqual(traffic.errors, [], 'no script errors');
    // The connector list is optional: an installation without the connector registry answers 404.
    const refused = traffic.failed.filter((f) => !f.endsWith('/PayConnectors.json'));
    assert.equal(refused.length, refusalsExpected, `requests refused: ${refused.join(', ')}`);
  }

  it('runs a whole card session by hand: each field wrong, asked again, right; then charged', async () => {
    const { page: phone, traffic: phoneTraffic } = await openPage('/phone', { width: 420, height: 900 });
    const { page: agent, traffic } = await openPage('/console', LAPTOP);
    const callSid = await placeCall(phone);
    await openConsoleOnCall(agent, callSid);

    await agent.getByLabel('Amount').fill('25.00');
    await agent.getByLabel('Description').fill('Order 1001');
    await agent.getByLabel('Shortest postal code').fill('5');
    await agent.getByRole('button', { name: 'Start pay session' }).click();
    await agent.locator('#session-view').waitFor();
    assert.equal(await agent.locator('#session-status').textContent(), 'In progress');
    assert.equal(await agent.locator('#session-what').textContent(), 'Card · 25.00 USD · Default');
    assert.equal(await required(agent), 'Still needed: Card number, Expiry (MMYY), Security code, Postal code');
    // The event stream may show the new session before the create request has answered; focus moves once it has.
    await agent.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Ask for Card number', null, { timeout: 5000 }).catch(() => undefined);
    assert.equal(await agent.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Ask for Card number', 'focus moves to the first field');
    await until('the phone to hear that a payment started', async () => /started a payment/.test((await phone.locator('#prompt').textContent()) ?? ''));

    // Card number: a typo (Luhn fails), then the right number.
    const card = await captureWithMistake(agent, phone, 'payment-card-number', { words: 'card number', digits: '\\d+-19' }, '4242424242424241#', '4242424242424242#');
    assert.match(card.mistake.stateText, /Invalid card number/);
    assert.match(card.mistake.stateText, /invalid-card-number/);
    assert.equal(card.captured.value, 'xxxx-xxxx-xxxx-4242');
    assert.equal(card.captured.cardType, 'visa');
    assert.match((await phone.locator('#prompt').textContent()) ?? '', /card number was received/);
    assert.equal(await required(agent), 'Still needed: Expiry (MMYY), Security code, Postal code');

    const expiry = futureExpiry();
    const date = await captureWithMistake(agent, phone, 'expiration-date', { words: 'expiry date', digits: '4' }, '1399', expiry, 'keypad');
    assert.match(date.mistake.stateText, /Invalid expiry date/);
    assert.equal(date.captured.value, expiry);

    const code = await captureWithMistake(agent, phone, 'security-code', { words: 'security code', digits: '3' }, '12#', '123');
    assert.match(code.mistake.stateText, /Invalid security code/);
    assert.equal(code.captured.value, 'xxx');

    // Postal code: shorter than the 5 digits asked for, then right. docs/console-mid-session.png is taken at the mistake.
    await askFor(agent, 'postal-code');
    await checkAsked(agent, phone, 'postal-code', { words: 'postal code', digits: '5-10' });
    await press(phone, '123#', 'keyboard');
    assert.match((await untilRow(agent, 'postal-code', 'error')).stateText, /Invalid postal code/);
    assert.equal(await required(agent), 'Still needed: Postal code');
    await agent.screenshot({ path: path.join(OUTPUT, 'console-mid-session.png'), fullPage: true });
    await askFor(agent, 'postal-code', 'keyboard');
    await press(phone, '94107#', 'keypad');
    assert.equal((await untilRow(agent, 'postal-code', 'captured')).value, '94107');

    await completeAndCheck(agent, phone);
    assert.equal((await rowOf(agent, 'payment-card-number')).value, 'xxxx-xxxx-xxxx-4242', 'what was captured stays shown, masked');
    assert.equal(await agent.locator(`tr[data-field="payment-card-number"] button`).isDisabled(), true);

    // The finished session opened again in a new tab reads as what was captured, masked, not as nothing.
    const { page: later, traffic: laterTraffic } = await openPage('/console', LAPTOP);
    await signIn(later, apiKey[0], apiKey[1]);
    await later.locator(`button[data-call-sid="${callSid}"]`).click();
    await until('the finished session to show', async () => (await later.locator('#session-status').textContent()) === 'Completed');
    assert.equal(await later.locator('#result .headline').textContent(), 'Payment succeeded');
    const summary = Object.fromEntries(await Promise.all(['payment-card-number', 'expiration-date', 'security-code', 'postal-code'].map(async (field) => [field, await rowOf(later, field)] as const)));
    assert.deepEqual(
      Object.fromEntries(Object.entries(summary).map(([field, row]) => [field, `${row.state} ${row.value}`])),
      { 'payment-card-number': 'captured xxxx-xxxx-xxxx-4242', 'expiration-date': `captured ${expiry}`, 'security-code': 'captured xxx', 'postal-code': 'captured 94107' },
    );
    assert.equal(summary['payment-card-number']!.cardType, 'visa');
    assert.ok(!laterTraffic.text().includes('4242424242424242'));
    await later.context().close();

    await agent.screenshot({ path: path.join(OUTPUT, 'console-card.png'), fullPage: true });
    await phone.getByRole('button', { name: 'Hang up' }).click();
    await until('the console to drop the ended call', async () => (await agent.locator(`button[data-call-sid="${callSid}"]`).count()) === 0);
    // The console may hear of the end on its event stream before the phone's own request has answered.
    await until('the phone to show the call ended', async () => /^Call ended/.test((await phone.locator('#call-state').textContent()) ?? ''));
    await phone.screenshot({ path: path.join(OUTPUT, 'phone-card.png'), fullPage: true });

    assertNothingSensitive(traffic, ['4242424242424242', '4242424242424241']);
    // The phone sends one key per request: no request of it carries a whole number either.
    assert.ok(phoneTraffic.forms().every((form) => /^[0-9*#]$/.test(form.get('Digits') ?? '0')));
    // (The phone's page lists the sandbox test numbers; what it receives from the API never has them.)
    assert.ok(!JSON.stringify(phoneTraffic.json()).includes('4242424242424242'));
    assert.deepEqual(phoneTraffic.errors, []);
    assert.deepEqual(phoneTraffic.failed, []);
  });

  it('runs a whole ACH session by hand at a narrow width', async () => {
    const { page: phone, traffic: phoneTraffic } = await openPage('/phone', NARROW);
    const { page: agent, traffic } = await openPage('/console', NARROW);
    const callSid = await placeCall(phone);
    await openConsoleOnCall(agent, callSid);
    const width = await agent.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= NARROW.width, `nothing wider than the screen (${width} px)`);

    await agent.locator('select[name="PaymentMethod"]').selectOption('ach-debit');
    assert.ok(await agent.getByLabel('Account type').isVisible());
    assert.ok(!(await agent.getByText('Accepted card types').isVisible()));
    await agent.getByLabel('Amount').fill('40');
    await agent.getByLabel('Account type').selectOption('consumer-savings');
    await agent.getByRole('button', { name: 'Start pay session' }).click();
    await agent.locator('#session-view').waitFor();
    assert.equal(await agent.locator('#session-what').textContent(), 'Bank account · 40.00 USD · Default');
    assert.equal(await required(agent), 'Still needed: Routing number, Account number');

    const routing = await captureWithMistake(agent, phone, 'bank-routing-number', { words: 'routing number', digits: '9' }, '123456789#', '110000000#', 'keypad');
    assert.match(routing.mistake.stateText, /Invalid routing number/);
    assert.equal(routing.captured.value, '110000000');
    assert.equal(await required(agent), 'Still needed: Account number');

    const account = await captureWithMistake(agent, phone, 'bank-account-number', { words: 'account number', digits: '4-17' }, '12#', '000123456789#');
    assert.match(account.mistake.stateText, /Invalid account number/);
    assert.equal(account.captured.value, '**********89');

    await completeAndCheck(agent, phone);
    const after = await agent.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(after <= NARROW.width, `nothing wider than the screen at the end (${after} px)`);
    await agent.screenshot({ path: path.join(OUTPUT, 'console-ach.png'), fullPage: true });
    await phone.screenshot({ path: path.join(OUTPUT, 'phone-ach.png'), fullPage: true });

    assertNothingSensitive(traffic, ['000123456789']);
    assert.ok(!JSON.stringify(phoneTraffic.json()).includes('000123456789'));
    assert.ok(phoneTraffic.forms().every((form) => /^[0-9*#]$/.test(form.get('Digits') ?? '0')));
    assert.deepEqual(phoneTraffic.failed, []);
    assert.deepEqual(phoneTraffic.errors, []);
  });

  it('saves a card as a token after the caller confirms; then a canceled session and a caller who hangs up', async () => {
    const { page: phone } = await openPage('/phone', { width: 420, height: 900 });
    const { page: agent, traffic } = await openPage('/console', LAPTOP);
    const callSid = await placeCall(phone);
    await openConsoleOnCall(agent, callSid);

    await agent.locator('select[name="TokenType"]').selectOption('one-time');
    await agent.getByLabel('Ask for the postal code').uncheck();
    await agent.getByLabel(/The caller confirms/).check();
    await agent.getByRole('button', { name: 'Start pay session' }).click();
    await agent.locator('#session-view').waitFor();
    assert.equal(await agent.locator('#session-what').textContent(), 'Card · save as one-time token · Default');
    assert.equal(await required(agent), 'Still needed: Card number, Expiry (MMYY), Security code');
    assert.equal(await agent.locator('tr[data-field="postal-code"]').count(), 0, 'no postal code row when it is not asked');

    // Completing cannot be asked while a field is missing (the API would refuse it with 64019).
    const completeButton = agent.getByRole('button', { name: 'Complete payment' });
    assert.equal(await completeButton.isDisabled(), true, 'Complete payment waits for the missing fields');
    assert.equal(await completeButton.getAttribute('aria-describedby'), 'required', 'and says what is missing');

    // The security code cannot come before the card number.
    await agent.locator('tr[data-field="security-code"] button').click();
    assert.match((await untilRow(agent, 'security-code', 'error')).stateText, /Capture the card number first/);

    await askFor(agent, 'payment-card-number');
    await press(phone, '378282246310005', 'keyboard');
    const amex = await untilRow(agent, 'payment-card-number', 'captured');
    assert.deepEqual([amex.value, amex.cardType], ['xxxx-xxxxxx-x0005', 'amex']);
    await askFor(agent, 'expiration-date');
    await press(phone, futureExpiry(), 'keypad');
    await untilRow(agent, 'expiration-date', 'captured');
    await askFor(agent, 'security-code');
    assert.equal(await completeButton.isDisabled(), true, 'nor while the last one is being typed');
    await press(phone, '1234', 'keyboard');
    assert.equal((await untilRow(agent, 'security-code', 'captured')).value, 'xxxx');

    assert.equal(await completeButton.isEnabled(), true, 'everything captured: it can be pressed');
    await completeButton.click();
    await until('the console to wait for the caller', async () => (await agent.locator('#session-status').textContent()) === 'Waiting for the caller to confirm');
    assert.match((await agent.locator('#result').textContent()) ?? '', /press 1 to pay or 2 to cancel/);
    await press(phone, '1', 'keypad');
    await until('the session to complete', async () => (await agent.locator('#session-status').textContent()) === 'Completed');
    assert.equal(await agent.locator('#result .headline').textContent(), 'Payment details saved');
    assert.ok(((await agent.locator('[data-role="payment-token"]').textContent()) ?? '').length > 0);
    assert.equal(await agent.locator('[data-role="confirmation-code"]').count(), 0);

    // Another session on the same call, canceled by the agent.
    await agent.getByRole('button', { name: 'Start another session' }).click();
    await agent.getByLabel('Amount').fill('5');
    await agent.getByLabel(/The caller confirms/).uncheck();
    await agent.getByRole('button', { name: 'Start pay session' }).click();
    await until('the new session', async () => (await agent.locator('#session-status').textContent()) === 'In progress');
    await agent.getByRole('button', { name: 'Cancel session' }).click();
    await until('the session to be canceled', async () => (await agent.locator('#session-status').textContent()) === 'Canceled');
    assert.equal(await agent.locator('#result .headline').textContent(), 'Canceled');

    // And one the caller ends by hanging up.
    await agent.getByRole('button', { name: 'Start another session' }).click();
    await agent.getByRole('button', { name: 'Start pay session' }).click();
    await until('the new session', async () => (await agent.locator('#session-status').textContent()) === 'In progress');
    await askFor(agent, 'payment-card-number');
    await phone.getByRole('button', { name: 'Hang up' }).click();
    await until('the console to show the hang-up', async () => (await agent.locator('#result .headline').textContent()) === 'Canceled: the caller hung up');
    assert.equal(await agent.locator('[data-role="result"]').textContent(), 'caller-hung-up');
    await until('the call to leave the list', async () => (await agent.locator(`button[data-call-sid="${callSid}"]`).count()) === 0);

    assertNothingSensitive(traffic, ['378282246310005']);
  });
});
