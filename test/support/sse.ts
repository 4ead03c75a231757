/**
 * A Server-Sent Events reader for tests: opens the stream with fetch, parses each event as it arrives and keeps
 * the raw text, so a test can wait for an event and also search everything the stream carried.
 *
 * @example
 *   const stream = await openEventStream(`${baseUrl}/v1/Accounts/${AC}/Events`, { authorization });
 *   const started = await stream.next((e) => e.event === 'started');
 *   stream.close();
 */
import { until } from './poll.js';

export interface StreamEvent {
  id: string | null;
  event: string;
  data: any;
}

export interface EventStream {
  status: number;
  headers: Headers;
  events: StreamEvent[];
  /** Everything received, byte for byte (as text). */
  raw(): string;
  /** The first event from position `from` on that matches (waits for it). */
  next(predicate: (event: StreamEvent) => boolean, from?: number, timeoutMs?: number): Promise<StreamEvent>;
  /** Resolves once the server has ended the stream. */
  ended: Promise<void>;
  close(): void;
}

export async function openEventStream(url: string, headers: Record<string, string> = {}): Promise<EventStream> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const events: StreamEvent[] = [];
  let raw = '';
  let pending = '';
  const parse = (block: string) => {
    const fields: Record<string, string> = {};
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      fields[name] = fields[name] === undefined ? value : `${fields[name]}\n${value}`;
    }
    if (fields.data === undefined) return;
    events.push({ id: fields.id ?? null, event: fields.event ?? 'message', data: JSON.parse(fields.data) });
  };
  const ended = (async () => {
    if (!response.body || response.status !== 200) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) {
        const text = decoder.decode(chunk as Uint8Array, { stream: true });
        raw += text;
        pending += text;
        let end: number;
        while ((end = pending.indexOf('\n\n')) >= 0) {
          parse(pending.slice(0, end));
          pending = pending.slice(end + 2);
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    status: response.status,
    headers: response.headers,
    events,
    raw: () => raw,
    next: (predicate, from = 0, timeoutMs = 15_000) =>
      until(
        () => `an event matching ${predicate.toString()} (have ${events.map((e) => `${e.id}:${e.event}`).join(' ')})`,
        async () => events.slice(from).find(predicate),
        timeoutMs,
      ),
    ended,
    close: () => controller.abort(),
  };
}

export function basicAuth(user: string, secret: string): string {
  return 'Basic ' + Buffer.from(`${user}:${secret}`).toString('base64');
}
