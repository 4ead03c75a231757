/**
 * Structured JSON logs (pino). Request bodies are never logged; the redaction list is a second line of
 * defence for anything that could carry credentials or payment fields by mistake.
 *
 * Lines go to stdout asynchronously: the lines logged while a write is under way go out together in the next one,
 * instead of one blocking write each (a busy server logs a few lines per request). They are flushed when the
 * process exits, whatever the cause; only a `kill -9` can lose lines, the few logged in the last moments.
 *
 * @example
 *   const log = createLogger({ level: 'info' });
 *   log.info({ paymentSid }, 'session started');
 */
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

const REDACTED_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'authToken',
  'secret',
  'digits',
  'Digits',
  'body',
  'params.PaymentCardNumber',
  'params.SecurityCode',
  'params.BankAccountNumber',
  'card',
  'bank',
  'values',
];

export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'paytone' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
