/**
 * Headless Chromium (Debian's `chromium` package) driven by playwright-core, and a recorder of everything a page
 * sends and receives: request URLs and bodies, response bodies, and each Server-Sent Events message.
 *
 * Without /usr/bin/chromium the browser tests are skipped with a reason, except under CI=true, where a missing
 * browser is a failure.
 *
 * @example
 *   const browser = await launchChromium();
 *   const traffic = await recordTraffic(page);
 *   assert.ok(!traffic.text().includes(cardNumber));
 */
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or false when they can (under CI=true they always must). */
export function chromiumSkipReason(): string | false {
  if (fs.existsSync(CHROMIUM) || process.env.CI === 'true') return false;
  return `${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium) to run the browser tests`;
}

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`CI=true and ${CHROMIUM} is missing: .ci/run must install Debian's chromium package`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface Traffic {
  /** Every request line and body, response body and SSE message, as one text. */
  text(): string;
  /** Form bodies the page posted. */
  forms(): URLSearchParams[];
  /** JSON bodies the page received (responses and SSE messages). */
  json(): unknown[];
  sseMessages(): number;
  /** Script errors on the page, and requests answered with an error status (`status url`). */
  errors: string[];
  failed: string[];
}

export async function recordTraffic(page: Page): Promise<Traffic> {
  const parts: string[] = [];
  const forms: URLSearchParams[] = [];
  const json: unknown[] = [];
  const errors: string[] = [];
  const failed: string[] = [];
  let sse = 0;
  const parseJson = (text: string) => {
    try {
      json.push(JSON.parse(text));
    } catch {
      // not JSON (HTML, CSS, scripts)
    }
  };
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    // A failed request shows as a console error too; those are in `failed`, with their URL.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(message.text());
  });
  page.on('request', (request) => {
    const body = request.postData() ?? '';
    parts.push(`${request.method()} ${request.url()}\n${body}`);
    if (body) forms.push(new URLSearchParams(body));
  });
  page.on('response', async (response) => {
    if (response.status() >= 400) failed.push(`${response.status()} ${new URL(response.url()).pathname}`);
    // An event stream never finishes; its messages are read below, one by one.
    if ((response.headers()['content-type'] ?? '').startsWith('text/event-stream')) return;
    try {
      const text = await response.text();
      parts.push(text);
      parseJson(text);
    } catch {
      // the page went away before the body was read
    }
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  cdp.on('Network.eventSourceMessageReceived', (message) => {
    sse += 1;
    parts.push(`SSE ${message.eventName} ${message.eventId}\n${message.data}`);
    parseJson(message.data);
  });
  return { text: () => parts.join('\n'), forms: () => forms, json: () => json, sseMessages: () => sse, errors, failed };
}

/** Every value under a key that matches `key`, anywhere in `value`. */
export function valuesOf(value: unknown, key: RegExp): unknown[] {
  if (Array.isArray(value)) return value.flatMap((v) => valuesOf(v, key));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [...(key.test(k) ? [v] : []), ...valuesOf(v, key)]);
  }
  return [];
}
