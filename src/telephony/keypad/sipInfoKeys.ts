/**
 * Keys sent as SIP INFO (already answered 200 by the dialog): `application/dtmf-relay` (`Signal=5` and
 * `Duration=160`, in ms, on lines of their own) and `application/dtmf` (the key alone). A key is `0-9 * #`, or its
 * RFC 4733 event number (`10` for `*`, `11` for `#`), as some gateways write it. Anything else is no key.
 *
 * @example
 *   readInfoKey('application/dtmf-relay', Buffer.from('Signal=4\r\nDuration=250\r\n'))  // { key: '4', durationMs: 250 }
 */
import { EVENT_KEYS } from './telephoneEvents.js';

/** What a key lasts when the INFO does not say (the common default of `Duration=`). */
export const DEFAULT_INFO_DURATION_MS = 250;

export function readInfoKey(contentType: string, body: Buffer): { key: string; durationMs: number } | null {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (body.length > 512) return null;
  const text = body.toString('latin1');
  if (type === 'application/dtmf') {
    const key = keyOf(text.trim());
    return key === null ? null : { key, durationMs: DEFAULT_INFO_DURATION_MS };
  }
  if (type !== 'application/dtmf-relay') return null;
  let key: string | null = null;
  let durationMs = DEFAULT_INFO_DURATION_MS;
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(signal|duration)\s*=\s*(\S*)\s*$/i.exec(line);
    if (!match) continue;
    if (match[1]!.toLowerCase() === 'signal') key = keyOf(match[2]!);
    else if (/^\d{1,5}$/.test(match[2]!)) durationMs = Math.min(Math.max(Number(match[2]), 40), 2000);
  }
  return key === null ? null : { key, durationMs };
}

function keyOf(signal: string): string | null {
  if (/^[0-9*#]$/.test(signal)) return signal;
  if (signal === '10' || signal === '11') return EVENT_KEYS[Number(signal)]!;
  return null;
}
