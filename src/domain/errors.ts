/**
 * Every synchronous error paytone answers with, in one place: code -> HTTP status and a default message.
 * Routes and the domain raise a `PaytoneError` with a code and a message that says what to fix; one HTTP
 * handler turns it into Twilio's envelope `{code, message, more_info, status}`.
 *
 * @example
 *   throw payError(64020, 'Timeout must be a whole number of seconds from 1 to 600; got "0".');
 */

export const ERROR_REGISTRY = {
  20003: { status: 401, message: 'Authenticate' },
  20004: { status: 405, message: 'Method not allowed' },
  20403: { status: 403, message: 'Forbidden' },
  20404: { status: 404, message: 'The requested resource was not found' },
  20429: { status: 429, message: 'Too Many Requests' },
  20001: { status: 400, message: 'Bad request' },
  20408: { status: 408, message: 'Request timeout' },
  20413: { status: 413, message: 'Request body too large' },
  20431: { status: 431, message: 'Request header fields too large' },
  20415: { status: 415, message: 'Unsupported media type: send application/x-www-form-urlencoded' },
  20500: { status: 500, message: 'Internal server error' },
  21220: { status: 400, message: 'Call is not in-progress. Cannot redirect.' },
  21201: { status: 400, message: 'No \'To\' number is specified' },
  21213: { status: 400, message: 'No \'From\' number is specified' },
  21205: { status: 400, message: 'Url parameter is not a valid URL' },
  21208: { status: 400, message: 'Invalid Timeout' },
  21211: { status: 400, message: "Invalid 'To' Phone Number" },
  21421: { status: 400, message: 'PhoneNumber is invalid' },
  21422: { status: 400, message: 'PhoneNumber is not available' },
  64003: { status: 400, message: 'Invalid ChargeAmount' },
  64004: { status: 400, message: 'Invalid PaymentConnector' },
  64005: { status: 400, message: 'Payment connector does not support tokenization' },
  64006: { status: 400, message: 'Payment connector does not support the token type' },
  64007: { status: 400, message: 'Payment connector does not support charge' },
  64008: { status: 400, message: 'Payment gateway rejected the charge' },
  64010: { status: 400, message: 'Payment gateway rejected the token creation' },
  64011: { status: 400, message: 'Payment connector does not support the currency' },
  64012: { status: 400, message: 'Payment gateway rejected the card' },
  64013: { status: 400, message: 'Payment connector does not support the payment method' },
  64017: { status: 400, message: 'BankAccountType is not supported with the credit-card PaymentMethod' },
  64018: { status: 400, message: 'Exactly one of Capture or Status must be given' },
  64019: { status: 400, message: 'Payment information is incomplete' },
  64020: { status: 400, message: 'Invalid parameter value' },
  64021: { status: 400, message: 'Invalid operation' },
  64022: { status: 400, message: 'Invalid test card number: the connector is in test mode' },
  64023: { status: 400, message: 'Invalid test bank account number: the connector is in test mode' },
} as const;

export type ErrorCode = keyof typeof ERROR_REGISTRY;

export class PaytoneError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message?: string) {
    const entry = ERROR_REGISTRY[code];
    super(message ?? entry.message);
    this.name = 'PaytoneError';
    this.code = code;
    this.status = entry.status;
  }

  /** Twilio's error envelope, as written on the wire. */
  toEnvelope(): { code: number; message: string; more_info: string; status: number } {
    return {
      code: this.code,
      message: this.message,
      more_info: `https://www.twilio.com/docs/errors/${this.code}`,
      status: this.status,
    };
  }
}

export function payError(code: ErrorCode, message?: string): PaytoneError {
  return new PaytoneError(code, message);
}

/** The outcome of a domain decision that may be refused. */
export type Decision<T> = { ok: true; value: T } | { ok: false; error: PaytoneError };
