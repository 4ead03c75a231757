/**
 * SIP messages (RFC 3261 §7): parsed from bytes and written back. `parseSipMessage` never throws: whatever arrives
 * (garbage, a truncated datagram, a header of 60 kB) comes back as `{ ok: false, problem }`, and a message that
 * parses has the headers every transaction and dialog relies on (Via, From, To, Call-ID, CSeq) already read.
 *
 * @example
 *   const parsed = parseSipMessage(datagram);
 *   if (parsed.ok && parsed.message.kind === 'request') console.log(parsed.message.method, parsed.message.core.callId);
 */
import { parseCSeq, parseNameAddr, parseUri, parseVia, splitList, type NameAddr, type Via } from './headers.js';

/** Header names in their full lower-case form; compact forms (RFC 3261 §7.3.3, RFC 3515, RFC 4028) map onto these. */
const COMPACT: Record<string, string> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event',
  r: 'refer-to',
  u: 'allow-events',
  b: 'referred-by',
  x: 'session-expires',
};

/** Headers whose comma-separated values are separate entries. */
const LISTS = new Set(['via', 'route', 'record-route', 'contact', 'allow', 'supported', 'require', 'proxy-require', 'unsupported']);

/** How names are written on the wire; others are written word-capitalized. */
const WRITTEN: Record<string, string> = { 'call-id': 'Call-ID', cseq: 'CSeq', 'www-authenticate': 'WWW-Authenticate' };

/** Upper bounds for one message: larger ones are refused before anything else is read. */
export const SIP_LIMITS = { messageBytes: 16_384, headers: 128 };

/** Header fields by full lower-case name, each with its values in order. */
export class SipHeaders {
  private readonly fields = new Map<string, string[]>();

  static canonical(name: string): string {
    const lower = name.toLowerCase();
    return COMPACT[lower] ?? lower;
  }

  get(name: string): string | undefined {
    return this.fields.get(SipHeaders.canonical(name))?.[0];
  }

  all(name: string): string[] {
    return this.fields.get(SipHeaders.canonical(name)) ?? [];
  }

  has(name: string): boolean {
    return this.fields.has(SipHeaders.canonical(name));
  }

  set(name: string, ...values: string[]): this {
    const key = SipHeaders.canonical(name);
    if (values.length === 0) this.fields.delete(key);
    else this.fields.set(key, values);
    return this;
  }

  add(name: string, value: string): this {
    const key = SipHeaders.canonical(name);
    const values = this.fields.get(key);
    if (values) values.push(value);
    else this.fields.set(key, [value]);
    return this;
  }

  entries(): IterableIterator<[string, string[]]> {
    return this.fields.entries();
  }
}

/** The headers every parsed message has, already read. */
export interface CoreHeaders {
  callId: string;
  cseq: number;
  cseqMethod: string;
  via: Via[];
  from: NameAddr;
  to: NameAddr;
}

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  headers: SipHeaders;
  body: Buffer;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;
export type Parsed<M extends SipMessage> = M & { core: CoreHeaders };
export type ParsedMessage = Parsed<SipRequest> | Parsed<SipResponse>;
export type ParseResult = { ok: true; message: ParsedMessage } | { ok: false; problem: string };

const REQUEST_LINE = /^([A-Za-z]{1,32}) (\S{1,2048}) SIP\/2\.0$/;
const STATUS_LINE = /^SIP\/2\.0 ([1-6]\d\d) ?(.{0,256})$/;
const HEADER_NAME = /^[A-Za-z0-9\-.!%*_+`'~]{1,64}$/;

/** Where the header section ends: the blank line, in CRLF or bare-LF form. */
export function headerEnd(bytes: Buffer): { at: number; length: number } | null {
  const crlf = bytes.indexOf('\r\n\r\n');
  const lf = bytes.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { at: crlf, length: 4 };
  return lf >= 0 ? { at: lf, length: 2 } : null;
}

/**
 * Reads one whole message (one UDP datagram, or one message framed out of a TCP stream). The body is what follows
 * the headers, cut to Content-Length; a Content-Length beyond the bytes there is a truncated message.
 */
export function parseSipMessage(bytes: Buffer): ParseResult {
  if (bytes.length > SIP_LIMITS.messageBytes) return fail(`message of ${bytes.length} bytes is over the limit of ${SIP_LIMITS.messageBytes}`);
  const end = headerEnd(bytes);
  if (end === null) return fail('the headers do not end with an empty line (truncated?)');
  const head = bytes.subarray(0, end.at).toString('utf8');
  const lines = unfold(head.split(/\r?\n/));
  const first = lines.shift() ?? '';
  const headers = new SipHeaders();
  let count = 0;
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon).trim();
    if (!HEADER_NAME.test(name)) return fail('a header line is not "Name: value"');
    if (++count > SIP_LIMITS.headers) return fail(`more than ${SIP_LIMITS.headers} header lines`);
    const value = line.slice(colon + 1).trim();
    const key = SipHeaders.canonical(name);
    for (const item of LISTS.has(key) ? splitList(value) : [value]) headers.add(key, item);
  }
  const body = readBody(bytes, end.at + end.length, headers.get('content-length'));
  if (typeof body === 'string') return fail(body);

  const request = REQUEST_LINE.exec(first);
  const status = request ? null : STATUS_LINE.exec(first);
  if (!request && !status) return fail('the first line is neither a SIP/2.0 request line nor a status line');
  const core = readCore(headers);
  if (typeof core === 'string') return fail(core);
  if (request) {
    const method = request[1]!.toUpperCase();
    if (parseUri(request[2]!) === null) return fail('the Request-URI is not a sip:, sips: or tel: URI');
    if (core.cseqMethod !== method && !(method === 'ACK' && core.cseqMethod === 'INVITE')) return fail('the CSeq method differs from the request method');
    return { ok: true, message: { kind: 'request', method, uri: request[2]!, headers, body, core } };
  }
  return { ok: true, message: { kind: 'response', status: Number(status![1]), reason: status![2]!, headers, body, core } };
}

function fail(problem: string): ParseResult {
  return { ok: false, problem };
}

/** Continuation lines (starting with a space or tab) belong to the header line before them. */
function unfold(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && out.length > 1) out[out.length - 1] += ' ' + line.trim();
    else out.push(line);
  }
  return out;
}

function readBody(bytes: Buffer, start: number, contentLength: string | undefined): Buffer | string {
  if (contentLength === undefined) return bytes.subarray(start);
  if (!/^\d{1,6}$/.test(contentLength)) return 'Content-Length is not a number';
  const length = Number(contentLength);
  if (start + length > bytes.length) return `Content-Length ${length} is more than the ${bytes.length - start} bytes of body received (truncated)`;
  return bytes.subarray(start, start + length);
}

function readCore(headers: SipHeaders): CoreHeaders | string {
  const callId = headers.get('call-id');
  if (callId === undefined || callId === '' || callId.length > 256) return 'Call-ID is missing or too long';
  const cseq = parseCSeq(headers.get('cseq') ?? '');
  if (cseq === null) return 'CSeq is missing or malformed';
  const via: Via[] = [];
  for (const value of headers.all('via')) {
    const parsed = parseVia(value);
    if (parsed === null) return 'a Via header is malformed';
    via.push(parsed);
  }
  if (via.length === 0) return 'Via is missing';
  const from = parseNameAddr(headers.get('from') ?? '');
  const to = parseNameAddr(headers.get('to') ?? '');
  if (from === null) return 'From is missing or malformed';
  if (to === null) return 'To is missing or malformed';
  return { callId, cseq: cseq.seq, cseqMethod: cseq.method, via, from, to };
}

/** Writes a message with its Content-Length; values listed under one name go on one line each. */
export function serializeSipMessage(message: SipMessage): Buffer {
  let head = message.kind === 'request' ? `${message.method} ${message.uri} SIP/2.0\r\n` : `SIP/2.0 ${message.status} ${message.reason}\r\n`;
  for (const [name, values] of message.headers.entries()) {
    if (name === 'content-length') continue;
    const written = WRITTEN[name] ?? name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
    for (const value of values) head += `${written}: ${value}\r\n`;
  }
  head += `Content-Length: ${message.body.length}\r\n\r\n`;
  return message.body.length === 0 ? Buffer.from(head) : Buffer.concat([Buffer.from(head), message.body]);
}
