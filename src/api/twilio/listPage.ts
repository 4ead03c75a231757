/**
 * Twilio's list envelope (`{calls: [...], page, page_size, next_page_uri, ...}`), the same for every list
 * resource, with the filters riding along on every page link so that following `next_page_uri` stays filtered.
 *
 * @example
 *   const { page, pageSize } = pageQuery(request.query);
 *   const rows = await store.list(accountSid, { limit: pageSize + 1, offset: page * pageSize });
 *   sendJson(reply, 200, listPage('calls', rows.map(callView), { path, filters: { To: to }, page, pageSize }));
 */
import { formInteger, type FormValues } from '../../domain/form.js';

const MAX_PAGE_SIZE = 1000;
const DEFAULT_PAGE_SIZE = 50;

/**
 * `Page` and `PageSize` from a list request's query (1-1000, default 50).
 *
 * @example
 *   pageQuery({ PageSize: '2', Page: '1' }) // { page: 1, pageSize: 2 }
 */
export function pageQuery(query: FormValues): { page: number; pageSize: number } {
  return {
    pageSize: formInteger(query, 'PageSize', { min: 1, max: MAX_PAGE_SIZE }) ?? DEFAULT_PAGE_SIZE,
    page: formInteger(query, 'Page', { min: 0, max: 1_000_000 }) ?? 0,
  };
}

/**
 * The envelope for one page. `items` is what the store returned for `limit: pageSize + 1`: one more than fits
 * means there is a next page.
 *
 * @example
 *   listPage('incoming_phone_numbers', views, { path: '/2010-04-01/Accounts/AC.../IncomingPhoneNumbers.json', filters: {}, page: 0, pageSize: 50 })
 */
export function listPage(
  key: string,
  items: unknown[],
  a: { path: string; filters: Record<string, string | undefined>; page: number; pageSize: number },
): Record<string, unknown> {
  const { path, page, pageSize } = a;
  const shown = items.slice(0, pageSize);
  const filters = Object.entries(a.filters).flatMap(([k, v]) => (v === undefined ? [] : [[k, v]]));
  const pageUri = (n: number) => `${path}?${new URLSearchParams([...filters, ['PageSize', String(pageSize)], ['Page', String(n)]])}`;
  return {
    [key]: shown,
    end: page * pageSize + Math.max(shown.length - 1, 0),
    first_page_uri: pageUri(0),
    next_page_uri: items.length > pageSize ? pageUri(page + 1) : null,
    page,
    page_size: pageSize,
    previous_page_uri: page > 0 ? pageUri(page - 1) : null,
    start: page * pageSize,
    uri: pageUri(page),
  };
}
