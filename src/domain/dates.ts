/**
 * Dates as Twilio writes them: RFC 2822 in UTC with a numeric zone (`+0000`), never `GMT`.
 */

/**
 * Formats epoch milliseconds the way Twilio's JSON and callbacks do.
 *
 * @example
 *   formatRfc2822(Date.UTC(2019, 11, 18, 20, 2, 1)); // 'Wed, 18 Dec 2019 20:02:01 +0000'
 */
export function formatRfc2822(ms: number): string {
  return new Date(ms).toUTCString().replace(/GMT$/, '+0000');
}
