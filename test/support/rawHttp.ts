/**
 * HTTP/1.1 over a bare TCP socket, for requests no well-behaved client would send: invalid UTF-8, odd paths,
 * oversized headers, bodies that lie about their length, and clients that dribble a byte at a time.
 *
 * @example
 *   const response = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
 *   response.status; // 200
 */
import net from 'node:net';

export interface RawResponse {
  /** 0 when the server closed the connection without a status line. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Whether the server closed the connection (as opposed to the read giving up after `idleMs`). */
  closed: boolean;
}

/** Parses the first final response in `bytes` (after any `100 Continue`); a body is cut at Content-Length. */
export function parseResponse(bytes: Buffer, closed: boolean): RawResponse {
  const interim = /^HTTP\/1\.[01] 1\d\d[^\r]*\r\n(?:[^\r]+\r\n)*\r\n/.exec(bytes.toString('latin1'));
  if (interim) return parseResponse(bytes.subarray(interim[0].length), closed);
  const text = bytes.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = end === -1 ? text : text.slice(0, end);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = end === -1 ? Buffer.alloc(0) : bytes.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
  const length = headers['content-length'];
  if (length !== undefined) body = body.subarray(0, Number(length));
  return { status, headers, body: body.toString('utf8'), closed };
}

/**
 * Sends `request` (written as given) and reads until the server closes the connection, the first response is
 * complete, or nothing arrives for `idleMs` (a stream that stays open).
 */
export function rawRequest(port: number, request: string | Buffer, options: { idleMs?: number } = {}): Promise<RawResponse> {
  const idleMs = options.idleMs ?? 5_000;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1');
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(parseResponse(Buffer.concat(chunks), closed));
    };
    socket.setTimeout(idleMs, () => finish(false));
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const response = parseResponse(Buffer.concat(chunks), false);
      const length = response.headers['content-length'];
      if (response.status !== 0 && length !== undefined && Buffer.byteLength(response.body) >= Number(length)) finish(false);
      // An event stream never ends by itself: its status and headers are the answer.
      if (response.status !== 0 && response.headers['content-type']?.startsWith('text/event-stream')) finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    // A server that resets the connection after answering still answered: keep what arrived.
    socket.on('error', (err) => (chunks.length > 0 ? finish(true) : settled || reject(err)));
    socket.write(request);
  });
}

/**
 * A client that writes `request` a few bytes at a time, `everyMs` apart, until the server answers or closes;
 * resolves with what the server said and how long it let the client go on.
 */
export function dribble(
  port: number,
  request: string,
  options: { bytes?: number; everyMs: number; giveUpMs: number; /** Sent at once before the dribble starts. */ atOnce?: number },
): Promise<RawResponse & { sentBytes: number; elapsedMs: number }> {
  const step = options.bytes ?? 1;
  return new Promise((resolve) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1');
    let sent = options.atOnce ?? 0;
    if (sent > 0) socket.write(request.slice(0, sent));
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ ...parseResponse(Buffer.concat(chunks), closed), sentBytes: sent, elapsedMs: Date.now() - started });
    };
    const timer = setInterval(() => {
      if (sent >= request.length || socket.destroyed) return;
      socket.write(request.slice(sent, sent + step));
      sent += step;
    }, options.everyMs);
    const giveUp = setTimeout(() => finish(false), options.giveUpMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
  });
}
