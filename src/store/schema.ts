/**
 * Table types for the query layer. One schema serves SQLite and PostgreSQL: times are epoch
 * milliseconds (bigint-safe numbers), JSON is stored as text, sealed secrets as base64 text.
 */
import type { Generated } from 'kysely';

export interface AccountsTable {
  sid: string;
  friendly_name: string;
  /** The auth token, sealed by the vault: callbacks are signed with it, so it cannot be a one-way hash. */
  auth_token_sealed: string;
  status: string;
  date_created: number;
  date_updated: number;
  /** Which of a real call's keys the agent must not hear: `pay-sessions` (those typed during one) or `always`. */
  keys_masked: Generated<string>;
}

export interface ApiKeysTable {
  sid: string;
  account_sid: string;
  friendly_name: string;
  /** scrypt hash of the secret, `salt:hash` in hex; the secret itself is shown once at creation. */
  secret_hash: string;
  date_created: number;
}

export interface CallsTable {
  sid: string;
  account_sid: string;
  to_number: string;
  from_number: string;
  status: string;
  direction: string;
  url: string | null;
  twiml: string | null;
  status_callback: string | null;
  status_callback_method: string | null;
  date_created: number;
  date_updated: number;
  start_time: number | null;
  end_time: number | null;
  /** The call that dialed this one (`<Dial>`), or null. */
  parent_call_sid: string | null;
  /** The number an inbound call came in on, or null. */
  phone_number_sid: string | null;
  /** How the call's Url is requested: GET or POST (null: POST). */
  method: string | null;
  fallback_url: string | null;
  fallback_method: string | null;
  /** StatusCallbackEvent, space-separated (null: completed only). */
  status_callback_events: string | null;
  /** Seconds an outgoing call may ring, or null. */
  timeout: number | null;
  sip_call_id: string | null;
  sip_source_ip: string | null;
  /** Status callbacks queued so far: the next one's SequenceNumber. */
  callbacks_sent: number;
  answer_time: number | null;
}

export interface PaymentSessionsTable {
  sid: string;
  account_sid: string;
  call_sid: string;
  status: string;
  /** The session without its secrets (JSON). */
  state: string;
  /** The session's secrets sealed by the vault, or null once erased. */
  sealed_secrets: string | null;
  /** When the session's timer fires (epoch ms), or null. */
  deadline: number | null;
  /** The cluster member making the session's gateway call while it is `completing`. */
  gateway_owner: Generated<string | null>;
  date_created: number;
  date_updated: number;
}

/** The callback outbox and event log: a pay session's events, and a call's status callback (keyed by its CA sid). */
export interface SessionEventsTable {
  session_sid: string;
  seq: number;
  account_sid: string;
  call_sid: string;
  kind: string;
  /** The callback's form parameters (JSON): masked, never a secret. */
  params: string;
  url: string;
  at: number;
  /** pending | delivered | failed (gave up) */
  delivery_status: string;
  attempts: number;
  next_attempt_at: number | null;
  last_attempt_at: number | null;
  last_response_code: number | null;
  last_error: string | null;
  /** The cluster member sending this callback now, and until when its claim holds (epoch ms). */
  lease_owner: Generated<string | null>;
  lease_until: Generated<number | null>;
  /** GET or POST (null: POST). */
  method: string | null;
}

export interface IdempotencyRecordsTable {
  account_sid: string;
  /** The request path the key was used on. */
  scope: string;
  idempotency_key: string;
  /** sha256 of the request's parameters. */
  fingerprint: string;
  session_sid: string;
  /** The session operation the request started (see Session.operation). */
  operation: number;
  status_code: number;
  body: string;
  created_at: number;
}

export interface GatewayTransactionsTable {
  transaction_id: string;
  connector: string;
  method: string;
  /** What was asked (JSON): amounts and types, never cardholder data. */
  summary: string;
  /** The gateway's answer (JSON), never a secret. */
  outcome: string;
  created_at: number;
}

/** Sandbox keypresses waiting to reach their call, in `id` order per call, each due at `play_at` (cluster mode). */
export interface SandboxKeypressesTable {
  id: Generated<number>;
  call_sid: string;
  /** The key (`0-9 * #`) sealed with the vault for the call (`keypad:<call sid>`): never stored readable. */
  key_sealed: string;
  play_at: number;
  lease_owner: string | null;
  lease_until: number | null;
}

/** The live event feed: what the account's event stream carries, numbered for resume (see store/liveEvents.ts). */
export interface LiveEventsTable {
  id: Generated<number>;
  account_sid: string;
  call_sid: string;
  /** The pay session, or null for a call's status. */
  payment_sid: string | null;
  kind: string;
  /** The mirrored callback's parameters (JSON): masked, never a secret. */
  params: string;
  at: number;
}

/** An account's payment connectors; settings in clear (JSON), secrets sealed by the vault. */
export interface PayConnectorsTable {
  account_sid: string;
  unique_name: string;
  type: string;
  mode: string;
  /** The definition without its secrets (JSON). */
  settings: string;
  /** Password / API key (JSON) sealed for account + unique name; null when the type has none. */
  secrets_sealed: string | null;
  date_created: number;
  date_updated: number;
}

/** Transactions sent to a gateway, noted before each send: one without an answer is reconciled after a restart. */
export interface GatewaySendsTable {
  transaction_id: string;
  connector: string;
  sends: number;
  first_sent_at: number;
  last_sent_at: number;
}

/** The audit trail (append-only: triggers refuse UPDATE and DELETE). See src/domain/audit.ts. */
export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  account_sid: string;
  /** The AC... or SK... sid that authenticated the request; never a secret. */
  credential: string;
  source_ip: string;
  user_agent: string | null;
  action: string;
  method: string;
  path: string;
  call_sid: string | null;
  payment_sid: string | null;
  status_code: number;
  error_code: number | null;
  /** The request's parameters as the audit may show them (JSON): masked, never a secret. */
  parameters: string;
}

/** Numbers calls reach paytone on (Twilio's IncomingPhoneNumbers); a number belongs to one account at most. */
export interface IncomingPhoneNumbersTable {
  sid: string;
  account_sid: string;
  /** E.164, unique over the installation: an INVITE names the number, not the account. */
  phone_number: string;
  friendly_name: string;
  voice_url: string | null;
  voice_method: string;
  voice_fallback_url: string | null;
  voice_fallback_method: string;
  status_callback: string | null;
  status_callback_method: string;
  /** 0 or 1 (SQLite has no boolean). */
  voice_caller_id_lookup: number;
  date_created: number;
  date_updated: number;
}

/** What went wrong while a call's TwiML was fetched or run (Twilio's Notifications). */
export interface NotificationsTable {
  sid: string;
  account_sid: string;
  call_sid: string | null;
  /** 0 error, 1 warning. */
  log: number;
  error_code: number;
  message_text: string;
  request_url: string | null;
  request_method: string | null;
  request_variables: string;
  response_headers: string;
  /** What the app answered, cut to 4 KB, long digit runs masked. */
  response_body: string;
  date_created: number;
}

export interface Database {
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  calls: CallsTable;
  payment_sessions: PaymentSessionsTable;
  session_events: SessionEventsTable;
  idempotency_records: IdempotencyRecordsTable;
  gateway_transactions: GatewayTransactionsTable;
  sandbox_keypresses: SandboxKeypressesTable;
  live_events: LiveEventsTable;
  pay_connectors: PayConnectorsTable;
  gateway_sends: GatewaySendsTable;
  audit_log: AuditLogTable;
  incoming_phone_numbers: IncomingPhoneNumbersTable;
  notifications: NotificationsTable;
}

export type { Generated };
