/**
 * The Twilio-compatible part of paytone's OpenAPI document, taken from Twilio's own OpenAPI file rather than
 * written again: the operations paytone serves, with only the parameters it reads, and every schema they
 * reference. Facts only (paths, names, types, enums, required lists, response schemas): Twilio's descriptions,
 * examples, vendor extensions and its `servers` are left out, and each operation gets our own summary.
 *
 * `npm run openapi:twilio` runs `trimTwilioDocument` over the repository's excerpt of Twilio's file
 * (`vendor/twilio-oai/`) and writes `twilio-operations.json` beside this file; a test checks that the committed
 * file is exactly that.
 *
 * @example
 *   const { paths, schemas } = trimTwilioDocument(JSON.parse(fs.readFileSync(twilioFile, 'utf8')));
 */

export interface TwilioOperation {
  path: string;
  method: 'get' | 'post' | 'delete';
  summary: string;
  /** What the success answer holds, in our words. */
  answer: string;
  /** The form fields paytone reads; all of Twilio's when absent. */
  formFields?: string[];
  /** The query parameters paytone reads; all of Twilio's when absent. */
  queryParameters?: string[];
}

const ACCOUNT = '/2010-04-01/Accounts/{AccountSid}';

export const TWILIO_OPERATIONS: TwilioOperation[] = [
  { path: '/2010-04-01/Accounts/{Sid}.json', method: 'get', summary: 'Fetch the account the credentials belong to (auth_token is always null: it is write-only).', answer: 'The account.' },
  {
    path: `${ACCOUNT}/Calls.json`,
    method: 'post',
    summary: 'Place a call: a sandbox call is answered at once; a call to a SIP URI (or a number through the SIP trunk) rings for real.',
    answer: 'The call: in-progress (sandbox) or queued (real).',
    formFields: ['To', 'From', 'Url', 'Method', 'FallbackUrl', 'FallbackMethod', 'Twiml', 'StatusCallback', 'StatusCallbackMethod', 'StatusCallbackEvent', 'Timeout'],
  },
  {
    path: `${ACCOUNT}/Calls.json`,
    method: 'get',
    summary: "List the account's calls, newest first.",
    answer: 'A page of calls.',
    queryParameters: ['To', 'From', 'Status', 'ParentCallSid', 'PageSize', 'Page'],
  },
  { path: `${ACCOUNT}/Calls/{Sid}.json`, method: 'get', summary: 'Fetch a call.', answer: 'The call.' },
  { path: `${ACCOUNT}/Calls/{Sid}.json`, method: 'post', summary: 'Hang up a call (Status=completed); an open pay session ends with Result=caller-hung-up.', answer: 'The call.', formFields: ['Status', 'Url', 'Twiml'] },
  {
    path: `${ACCOUNT}/IncomingPhoneNumbers.json`,
    method: 'post',
    summary: 'Register a number your carrier or PBX routes to paytone, with its VoiceUrl (201).',
    answer: 'The new number.',
    formFields: ['PhoneNumber', 'FriendlyName', 'VoiceUrl', 'VoiceMethod', 'VoiceFallbackUrl', 'VoiceFallbackMethod', 'StatusCallback', 'StatusCallbackMethod', 'VoiceCallerIdLookup'],
  },
  { path: `${ACCOUNT}/IncomingPhoneNumbers.json`, method: 'get', summary: "List the account's numbers, newest first.", answer: 'A page of numbers.', queryParameters: ['PhoneNumber', 'FriendlyName', 'PageSize', 'Page'] },
  { path: `${ACCOUNT}/IncomingPhoneNumbers/{Sid}.json`, method: 'get', summary: 'Fetch a number.', answer: 'The number.' },
  {
    path: `${ACCOUNT}/IncomingPhoneNumbers/{Sid}.json`,
    method: 'post',
    summary: "Change a number's name and voice settings (the number itself cannot change).",
    answer: 'The number.',
    formFields: ['FriendlyName', 'VoiceUrl', 'VoiceMethod', 'VoiceFallbackUrl', 'VoiceFallbackMethod', 'StatusCallback', 'StatusCallbackMethod', 'VoiceCallerIdLookup'],
  },
  { path: `${ACCOUNT}/IncomingPhoneNumbers/{Sid}.json`, method: 'delete', summary: 'Delete a number: calls to it are refused from then on.', answer: 'Deleted.' },
  { path: `${ACCOUNT}/Notifications.json`, method: 'get', summary: "List the account's notifications (problems with calls' TwiML), newest first.", answer: 'A page of notifications.', queryParameters: ['Log', 'PageSize', 'Page'] },
  { path: `${ACCOUNT}/Notifications/{Sid}.json`, method: 'get', summary: 'Fetch a notification with the request and the answer that caused it.', answer: 'The notification.' },
  { path: `${ACCOUNT}/Calls/{CallSid}/Notifications.json`, method: 'get', summary: "List a call's notifications, newest first.", answer: 'A page of notifications.', queryParameters: ['Log', 'PageSize', 'Page'] },
  { path: `${ACCOUNT}/Calls/{CallSid}/Notifications/{Sid}.json`, method: 'get', summary: "Fetch one of a call's notifications.", answer: 'The notification.' },
  { path: `${ACCOUNT}/Calls/{CallSid}/Payments.json`, method: 'post', summary: 'Start a pay session on a call in progress (201).', answer: 'The new session: exactly Twilio\'s six fields.' },
  { path: `${ACCOUNT}/Calls/{CallSid}/Payments/{Sid}.json`, method: 'post', summary: 'Ask for one field (Capture) or end the session (Status=complete|cancel) (202).', answer: 'Accepted: exactly Twilio\'s six fields; what follows arrives as status callbacks.' },
];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** What paytone reads of an OpenAPI document of Twilio's: its operations and its component schemas. */
export interface TwilioDocument {
  paths: Record<string, Record<string, JsonObject>>;
  components: { schemas: Record<string, JsonObject> };
}

export interface TwilioSubset {
  paths: Record<string, Record<string, JsonObject>>;
  schemas: Record<string, JsonObject>;
}

/** Keys that carry Twilio's prose or presentation, not facts about the wire. */
const DROPPED_KEYS = new Set(['description', 'examples', 'example', 'headers', 'servers', 'tags', 'summary']);
const SCHEMA_REF = '#/components/schemas/';

export function trimTwilioDocument(source: TwilioDocument): TwilioSubset {
  const paths: TwilioSubset['paths'] = {};
  for (const operation of TWILIO_OPERATIONS) {
    const original = source.paths[operation.path]?.[operation.method];
    if (original === undefined) throw new Error(`Twilio's file has no ${operation.method.toUpperCase()} ${operation.path}`);
    const trimmed = facts(original) as JsonObject;
    trimmed.summary = operation.summary;
    for (const response of Object.values(trimmed.responses as JsonObject)) (response as JsonObject).description = operation.answer;
    if (operation.queryParameters) trimmed.parameters = keepQueryParameters(trimmed.parameters as JsonObject[], operation.queryParameters);
    if (operation.formFields) keepFormFields(trimmed, operation.formFields);
    (paths[operation.path] ??= {})[operation.method] = trimmed;
  }
  return { paths, schemas: schemasReachedFrom(paths, source, (schema) => facts(schema) as JsonObject) };
}

/**
 * Every component schema of `source` that `root` references, directly or through other schemas, each passed
 * through `keep`, sorted by name.
 */
export function schemasReachedFrom(root: unknown, source: TwilioDocument, keep: (schema: JsonObject) => JsonObject): Record<string, JsonObject> {
  const schemas: Record<string, JsonObject> = {};
  const pending = referencedSchemas(root);
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (schemas[name] !== undefined) continue;
    const schema = source.components.schemas[name];
    if (schema === undefined) throw new Error(`Twilio's file has no schema ${name}`);
    schemas[name] = keep(schema);
    pending.push(...referencedSchemas(schemas[name]));
  }
  return Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
}

/** The value without prose; the names under `properties` are field names, kept whatever they are. */
function facts(value: Json, fieldNames = false): Json {
  if (Array.isArray(value)) return value.map((inner) => facts(inner));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => fieldNames || (!DROPPED_KEYS.has(key) && !key.startsWith('x-')))
      .map(([key, inner]) => [key, facts(inner, !fieldNames && key === 'properties')]),
  );
}

function keepQueryParameters(parameters: JsonObject[], names: string[]): JsonObject[] {
  return parameters.filter((p) => p.in !== 'query' || names.includes(String(p.name)));
}

function keepFormFields(operation: JsonObject, names: string[]): void {
  const schema = ((operation.requestBody as JsonObject).content as JsonObject)['application/x-www-form-urlencoded'] as JsonObject;
  const body = schema.schema as JsonObject;
  body.properties = Object.fromEntries(Object.entries(body.properties as JsonObject).filter(([name]) => names.includes(name)));
  if (Array.isArray(body.required)) body.required = body.required.filter((name) => names.includes(String(name)));
}

function referencedSchemas(value: unknown): string[] {
  const found: string[] = [];
  JSON.stringify(value, (key, inner: unknown) => {
    if (key === '$ref' && typeof inner === 'string' && inner.startsWith(SCHEMA_REF)) found.push(inner.slice(SCHEMA_REF.length));
    return inner;
  });
  return found;
}
