/**
 * SIP header values (RFC 3261 §20, §25): URIs, name-addr headers (From, To, Contact, Route, Record-Route), Via and
 * CSeq. Every reader returns null for a value it cannot read, never throws: the text comes from the network.
 *
 * @example
 *   parseNameAddr('"Alice" <sip:alice@10.0.0.1:5070>;tag=9fxced76sl')
 *   // { display: 'Alice', uri: 'sip:alice@10.0.0.1:5070', params: Map { 'tag' => '9fxced76sl' } }
 */

export type Params = Map<string, string | null>;

export interface SipUri {
  scheme: 'sip' | 'sips' | 'tel';
  /** The user part, percent-decoded (`+15551230001`); null when the URI has none. */
  user: string | null;
  host: string;
  port: number | null;
  params: Params;
}

export interface NameAddr {
  display: string | null;
  /** The URI as written (inside the angle brackets when there were any). */
  uri: string;
  params: Params;
}

export interface Via {
  transport: string;
  host: string;
  port: number | null;
  params: Params;
}

export interface CSeq {
  seq: number;
  method: string;
}

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-.]+)$/;
const MAX_CSEQ = 2 ** 31 - 1;

/** `;a=1;b` into a map; null when a name is not a token. */
export function parseParams(text: string): Params | null {
  const params: Params = new Map();
  for (const part of text.split(';')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const name = (eq < 0 ? item : item.slice(0, eq)).trim().toLowerCase();
    if (!TOKEN.test(name)) return null;
    params.set(name, eq < 0 ? null : unquote(item.slice(eq + 1).trim()));
  }
  return params;
}

export function formatParams(params: Params): string {
  let text = '';
  for (const [name, value] of params) text += value === null ? `;${name}` : `;${name}=${value}`;
  return text;
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

/** `host`, `host:port` or `[v6]:port`; null when either part is malformed. */
export function parseHostPort(text: string): { host: string; port: number | null } | null {
  let host = text;
  let port: number | null = null;
  const colon = text.lastIndexOf(':');
  if (colon > text.lastIndexOf(']')) {
    host = text.slice(0, colon);
    const digits = text.slice(colon + 1);
    if (!/^\d{1,5}$/.test(digits)) return null;
    port = Number(digits);
    if (port < 1 || port > 65535) return null;
  }
  if (!HOST.test(host)) return null;
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port };
}

/**
 * `sip:+15551230001@paytone.example:5060;transport=tcp`. URI headers (`?...`) are dropped.
 *
 * @example
 *   parseUri('sip:agent@127.0.0.1:5070')?.port // 5070
 */
export function parseUri(text: string): SipUri | null {
  const match = /^(sips?|tel):(.*)$/i.exec(text.trim());
  if (!match) return null;
  const scheme = match[1]!.toLowerCase() as SipUri['scheme'];
  const rest = match[2]!.split('?')[0]!;
  const semicolon = rest.indexOf(';');
  const main = semicolon < 0 ? rest : rest.slice(0, semicolon);
  const params = parseParams(semicolon < 0 ? '' : rest.slice(semicolon));
  if (params === null) return null;
  if (scheme === 'tel') return main === '' ? null : { scheme, user: safeDecode(main), host: '', port: null, params };
  const at = main.lastIndexOf('@');
  const hostPort = parseHostPort(at < 0 ? main : main.slice(at + 1));
  if (hostPort === null) return null;
  let user: string | null = null;
  if (at >= 0) {
    const userInfo = main.slice(0, at);
    user = safeDecode(userInfo.split(':')[0]!);
    if (user === null || user === '') return null;
  }
  return { scheme, user, ...hostPort, params };
}

export function formatUri(uri: SipUri): string {
  const user = uri.user === null ? '' : `${encodeURIComponent(uri.user).replace(/%2B/g, '+')}@`;
  const host = uri.host.includes(':') ? `[${uri.host}]` : uri.host;
  return `${uri.scheme}:${user}${host}${uri.port === null ? '' : `:${uri.port}`}${formatParams(uri.params)}`;
}

function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/**
 * A From/To/Contact/Route value: `"Name" <uri>;params`, `<uri>;params` or a bare `uri;params` (whose parameters are
 * the header's, RFC 3261 §20.10).
 */
export function parseNameAddr(text: string): NameAddr | null {
  const value = text.trim();
  const open = value.indexOf('<');
  if (open < 0) {
    const semicolon = value.indexOf(';');
    const uri = semicolon < 0 ? value : value.slice(0, semicolon);
    const params = parseParams(semicolon < 0 ? '' : value.slice(semicolon));
    if (params === null || parseUri(uri) === null) return null;
    return { display: null, uri, params };
  }
  const close = value.indexOf('>', open);
  if (close < 0) return null;
  const uri = value.slice(open + 1, close);
  const params = parseParams(value.slice(close + 1));
  if (params === null || parseUri(uri) === null) return null;
  const display = unquote(value.slice(0, open).trim());
  return { display: display === '' ? null : display, uri, params };
}

export function formatNameAddr(value: NameAddr): string {
  const display = value.display === null ? '' : `"${value.display.replace(/["\\\r\n]/g, '')}" `;
  return `${display}<${value.uri}>${formatParams(value.params)}`;
}

/** `SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776;rport` */
export function parseVia(text: string): Via | null {
  const match = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+([^;\s]+)\s*(;.*)?$/i.exec(text.trim());
  if (!match) return null;
  const hostPort = parseHostPort(match[2]!);
  const params = parseParams(match[3] ?? '');
  if (hostPort === null || params === null) return null;
  return { transport: match[1]!.toUpperCase(), ...hostPort, params };
}

export function formatVia(via: Via): string {
  const host = via.host.includes(':') ? `[${via.host}]` : via.host;
  return `SIP/2.0/${via.transport} ${host}${via.port === null ? '' : `:${via.port}`}${formatParams(via.params)}`;
}

export function parseCSeq(text: string): CSeq | null {
  const match = /^(\d{1,10})\s+([A-Za-z]+)$/.exec(text.trim());
  if (!match) return null;
  const seq = Number(match[1]);
  return seq > MAX_CSEQ ? null : { seq, method: match[2]!.toUpperCase() };
}

/**
 * Splits a comma-separated header value (Via, Route, Contact, ...) where the commas are not inside quotes or
 * angle brackets.
 */
export function splitList(value: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"' && value[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && c === '<') depth++;
    else if (!quoted && c === '>') depth = Math.max(0, depth - 1);
    else if (!quoted && depth === 0 && c === ',') {
      items.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  items.push(value.slice(start).trim());
  return items.filter((item) => item !== '');
}
