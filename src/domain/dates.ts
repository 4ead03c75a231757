/**
 * Dates as Twilio writes them: RFC 2822 in UTC with a numeric zone (`+0000`), never `GMT`.
 */
import { BoundedMemory } from './boundedMemory.js';

/**
 * Each callback carries two dates and most fall in the same few seconds: each second is formatted once. 4,096
 * seconds cover the creation dates of every session started in the last hour; an older one is formatted again.
 */
const formatted = new BoundedMemory<number, string>(4096);

/**
 * Formats epoch milliseconds the way Twilio's JSON and callbacks do.
 *
 * @example
 *   formatRfc2822(Date.UTC(2019, 11, 18, 20, 2, 1)); // 'Wed, 18 Dec 2019 20:02:01 +0000'
 */
export function formatRfc2822(ms: number): string {
  const second = Math.floor(ms / 1000);
  return formatted.remember(second, () => new Date(second * 1000).toUTCString().replace(/GMT$/, '+0000'));
}
