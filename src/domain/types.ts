/**
 * The vocabulary of a pay session, shared by every layer.
 *
 * The domain layer is pure: it never does I/O, never reads the clock and never draws random numbers.
 * Adapters pass `now` (epoch milliseconds) and fresh ids in, and carry the returned effects out.
 *
 * Fields marked SECRET hold cardholder data. They live in memory and in the vault only; the store
 * seals them before they touch disk, and nothing else may copy them into logs, callbacks or responses.
 */

export const CARD_FIELDS = ['payment-card-number', 'expiration-date', 'security-code', 'postal-code'] as const;
export const BANK_FIELDS = ['bank-routing-number', 'bank-account-number'] as const;
export type CardField = (typeof CARD_FIELDS)[number];
export type BankField = (typeof BANK_FIELDS)[number];
/**
 * A field typed a second time to confirm it. Twilio's Payments API has matchers of the card fields only; `<Pay>`
 * also asks for a bank field twice (`<Prompt for="bank-account-number" requireMatchingInputs="true">`).
 */
export type MatcherField = `${CardField | BankField}-matcher`;
/** Every capture a session takes: Twilio's `Capture` enum, and the bank matchers `<Pay>` asks for. */
export type CaptureName = CardField | BankField | MatcherField;
/** A field's value as the agent and the app may see it (masking.ts), by field; matchers show none of their own. */
export type MaskedValues = Partial<Record<CardField | BankField, string>>;
/** Every value of Twilio's `Capture` enum: what the Payments API and the MCP tools may ask for. */
export const CAPTURE_NAMES: readonly CaptureName[] = [
  ...CARD_FIELDS,
  ...BANK_FIELDS,
  ...CARD_FIELDS.map((f) => `${f}-matcher` as MatcherField),
];

export const PAYMENT_METHODS = ['credit-card', 'ach-debit'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export const TOKEN_TYPES = ['one-time', 'reusable', 'payment-method'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];
export const BANK_ACCOUNT_TYPES = ['consumer-checking', 'consumer-savings', 'commercial-checking'] as const;
export type BankAccountType = (typeof BANK_ACCOUNT_TYPES)[number];
/** Twilio's card type names, as accepted in `ValidCardTypes` and reported in `PaymentCardType`. */
export const CARD_TYPES = ['visa', 'mastercard', 'amex', 'maestro', 'discover', 'optima', 'jcb', 'diners-club', 'enroute'] as const;
export type CardType = (typeof CARD_TYPES)[number];

/** The validated parameters of a Payments create request. */
export interface PaymentSettings {
  paymentMethod: PaymentMethod;
  /** Only for `ach-debit`; `consumer-checking` when not given. */
  bankAccountType: BankAccountType | null;
  /** Normalized decimal string (`"12.50"`), or null to tokenize (absent or zero). */
  chargeAmount: string | null;
  /** ISO 4217 code as given, upper-cased; `USD` by default. */
  currency: string;
  description: string | null;
  input: 'dtmf';
  minPostalCodeLength: number;
  /** The `Parameter` JSON object, passed to the connector as is. */
  parameter: Record<string, unknown> | null;
  paymentConnector: string;
  postalCode: boolean;
  /** A postal code the app already knows (`<Pay postalCode="94110">`): not asked, sent to the connector. */
  knownPostalCode?: string;
  securityCode: boolean;
  /** Seconds to wait after a digit before the field ends (Twilio `Timeout`, 1-600, default 5). */
  timeoutSeconds: number;
  tokenType: TokenType;
  validCardTypes: CardType[];
  /** Fields typed twice; bank fields only from `<Pay>` (the Payments API refuses them). */
  requireMatchingInputs: Array<CardField | BankField>;
  confirmation: boolean;
}

/**
 * in-progress: the agent may request fields, complete or cancel.
 * awaiting-confirmation: Confirmation=true and the agent asked to complete; the caller presses 1 or 2.
 * completing: the connector has been (or is being) asked; exactly one transaction id is in flight.
 * completed | failed | canceled: final; nothing changes any more and every secret is erased.
 */
export type SessionStatus = 'in-progress' | 'awaiting-confirmation' | 'completing' | 'completed' | 'failed' | 'canceled';
export const FINAL_STATUSES: readonly SessionStatus[] = ['completed', 'failed', 'canceled'];

export type ErrorType =
  | 'input-timeout'
  | 'invalid-card-number'
  | 'invalid-card-type'
  | 'invalid-date'
  | 'invalid-security-code'
  | 'invalid-postal-code'
  | 'invalid-bank-routing-number'
  | 'invalid-bank-account-number'
  | 'input-matching-failed'
  | 'invalid-card-number-security-code-capture-sequence'
  | 'internal-error';

export type PayResult =
  | 'success'
  | 'payment-connector-error'
  | 'caller-interrupted-with-star'
  | 'caller-hung-up'
  | 'validation-error'
  | 'internal-error';

/** The field the caller is typing now. */
export interface ActiveCapture {
  name: CaptureName;
  /** SECRET: the digits typed so far. */
  digits: string;
  startedAt: number;
  /** When the field ends by itself: first-digit wait before any digit, `Timeout` after the last one. */
  deadline: number;
  /** The operation number of the request that started this capture (see `Session.operation`). */
  operation: number;
  /**
   * `<Pay>` asks its fields back to back: a `#` before the first digit is then the caller closing the field before
   * (one that ended by itself at its length, such as a 16-digit card), not an empty entry of this one.
   */
  leadingHashIgnored?: boolean;
}

/** What the session reports once it has ended. */
export interface SessionOutcome {
  result: PayResult | null;
  paymentConfirmationCode: string | null;
  paymentToken: string | null;
  profileId: string | null;
  paymentError: string | null;
  payErrorCode: number | null;
  connectorError: string | null;
  /** The connector's own answer parameters on success (see `GatewayOutcome`), when it gave any. */
  connectorParameters?: Record<string, string>;
}

export interface Session {
  sid: string;
  accountSid: string;
  callSid: string;
  dateCreated: number;
  dateUpdated: number;
  settings: PaymentSettings;
  status: SessionStatus;
  /** The absolute StatusCallback URL of the latest agent request: callbacks it causes go there. */
  callbackUrl: string;
  capture: ActiveCapture | null;
  /** SECRET: the accepted value of each captured field. */
  values: Partial<Record<CaptureName, string>>;
  /** Detected from the accepted card number; kept after secrets are erased. */
  cardType: CardType | null;
  /**
   * Set when the session ends, just before its secrets are erased: each accepted field masked as its final
   * callback showed it, so a finished session still reads as what was captured. Null while it runs (and in
   * sessions that ended before it was kept).
   */
  maskedSummary: MaskedValues | null;
  /** Counts accepted agent requests (create is 0); idempotent replays compare against it. */
  operation: number;
  /** When the caller must have answered the confirmation prompt (awaiting-confirmation only). */
  confirmationDeadline: number | null;
  /** Stable id of the one connector transaction, fixed when the session starts completing. */
  transactionId: string | null;
  outcome: SessionOutcome | null;
  /** Number of events emitted so far; the next event gets `eventCount + 1`. */
  eventCount: number;
}

/** Something the session says to the app: one status callback and one line of the event log. */
export interface SessionEvent {
  /** 1, 2, 3 ... per session; callbacks are delivered in this order. */
  seq: number;
  kind: 'started' | 'capture' | 'completing' | 'ended';
  /** The exact form parameters of the callback, masked as DESIGN.md says; never a secret. */
  params: Record<string, string>;
  /** Where the callback goes. */
  url: string;
  at: number;
}

/** What the connector is asked to do. Built by the domain, carried out by an adapter. */
export interface GatewayRequest {
  transactionId: string;
  /** The session the transaction belongs to, for the ledger and the gateway's own records. */
  accountSid: string;
  sessionSid: string;
  connector: string;
  method: 'charge' | 'tokenize';
  paymentMethod: PaymentMethod;
  amount: string | null;
  currency: string;
  description: string | null;
  tokenType: TokenType;
  parameter: Record<string, unknown> | null;
  /** SECRET */
  card: { number: string; type: CardType; expMonth: string; expYear: string; securityCode: string | null; postalCode: string | null } | null;
  /** SECRET */
  bank: { routingNumber: string; accountNumber: string; accountType: BankAccountType } | null;
}

export type GatewayOutcome =
  | {
      ok: true;
      confirmationCode: string | null;
      token: string | null;
      profileId: string | null;
      /** A Generic connector's `parameters` answer (flat, digit runs masked): `<Pay>` echoes it as `PayConnector_<key>`. */
      connectorParameters?: Record<string, string>;
    }
  | { ok: false; payErrorCode: number; paymentError: string; connectorError: string };

/** Inputs that move a session on. */
export type SessionInput =
  | { kind: 'capture'; name: CaptureName; callbackUrl: string; leadingHashIgnored?: boolean }
  | { kind: 'complete'; callbackUrl: string }
  | { kind: 'cancel'; callbackUrl: string }
  /**
   * Keypresses that reached the session together, in the order pressed: each of `0-9`, `*` or `#`. Usually one;
   * several when a caller's keys fell due at once (a machine-paced keypad, or a server catching up). `pressedAt`
   * says when the caller pressed each (epoch ms; the decision time when absent): a field's timeout runs from the
   * caller's keys, not from when a busy server got to them.
   */
  | { kind: 'keys'; keys: string; pressedAt?: readonly number[] }
  /** The session's deadline has passed (the adapter fires it at `nextDeadline(session)`). */
  | { kind: 'deadline' }
  | { kind: 'hangup' }
  | { kind: 'gateway-answer'; outcome: GatewayOutcome };

/**
 * A field the agent has just asked for, as the caller's phone and the console are told it: a live event only,
 * never a status callback (Twilio sends none when a capture starts). Its parameters name the field, the digits
 * expected and the seconds the caller has.
 */
export interface FieldAsked {
  params: Record<string, string>;
  at: number;
}

export interface Effects {
  events: SessionEvent[];
  /** Present when an agent's request has just started a field. */
  asked: FieldAsked | null;
  /** Present when the session has just started completing: the adapter calls the connector. */
  gateway: GatewayRequest | null;
}

/** Tunables the domain needs, fixed at start-up. */
export interface SessionRules {
  /** Wait for the first digit of a field, and for the confirmation key, in seconds. */
  firstDigitTimeoutSeconds: number;
}
