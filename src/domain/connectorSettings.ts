/**
 * A payment connector as an account defines it (our `PayConnectors` resource and the connectors file): its
 * unique name, type, mode, where it sends payments, what it can do, and its secrets.
 *
 * The parser takes Twilio-style form values (PascalCase, as the API receives them; the connectors file is
 * translated to the same names), validates the whole definition and says what to fix. Secrets (`Password`,
 * `ApiKey`) come back apart from the rest, so that only the vault ever sees them.
 *
 * @example
 *   const { definition, secrets } = parseConnector({ UniqueName: 'Acme', Type: 'generic', Mode: 'live',
 *     EndpointUrl: 'https://pay.acme.example/twilio', Username: 'twilio', Password: 's3cret' });
 */
import { payError, type PaytoneError } from './errors.js';
import { formBoolean, formEnum, formValue, isAbsoluteHttpUrl, shownValue, type FormValues } from './form.js';
import { PAYMENT_METHODS, TOKEN_TYPES, type PaymentMethod, type PaymentSettings, type TokenType } from './types.js';

export const CONNECTOR_TYPES = ['sandbox', 'generic', 'stripe'] as const;
export type ConnectorType = (typeof CONNECTOR_TYPES)[number];
export const CONNECTOR_MODES = ['test', 'live'] as const;
export type ConnectorMode = (typeof CONNECTOR_MODES)[number];

/** The connector every account has unless it defines its own: the sandbox gateway. */
export const DEFAULT_CONNECTOR = 'Default';
export const CONNECTOR_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const STRIPE_API_BASE = 'https://api.stripe.com';

/** What a connector can be asked to do; checked synchronously when a session starts. */
export interface ConnectorCapabilities {
  charge: boolean;
  tokenize: boolean;
  paymentMethods: PaymentMethod[];
  tokenTypes: TokenType[];
  /** ISO 4217 codes (upper case) the gateway takes, or 'any'. */
  currencies: string[] | 'any';
}

export interface ConnectorDefinition {
  uniqueName: string;
  type: ConnectorType;
  mode: ConnectorMode;
  /** generic: where payments are POSTed. */
  endpointUrl: string | null;
  /** generic: the HTTP Basic user name. */
  username: string | null;
  /** stripe: the API's base URL (`https://api.stripe.com` unless pointed elsewhere). */
  apiBase: string | null;
  capabilities: ConnectorCapabilities;
}

/** SECRET: write-only settings, sealed by the vault at rest and never returned. */
export interface ConnectorSecrets {
  password?: string;
  apiKey?: string;
}

/** The most each type can do; an account may narrow it, never widen it. */
export const TYPE_LIMITS: Readonly<Record<ConnectorType, ConnectorCapabilities>> = {
  sandbox: { charge: true, tokenize: true, paymentMethods: [...PAYMENT_METHODS], tokenTypes: [...TOKEN_TYPES], currencies: 'any' },
  generic: { charge: true, tokenize: true, paymentMethods: [...PAYMENT_METHODS], tokenTypes: [...TOKEN_TYPES], currencies: 'any' },
  // Bank debits through Stripe need mandates and account verification, which a phone keypad cannot give.
  stripe: { charge: true, tokenize: true, paymentMethods: ['credit-card'], tokenTypes: [...TOKEN_TYPES], currencies: 'any' },
};

/** Which settings belong to which type; one given for another type is refused rather than ignored. */
const TYPE_FIELDS: Readonly<Record<ConnectorType, readonly string[]>> = {
  sandbox: [],
  generic: ['EndpointUrl', 'Username', 'Password'],
  stripe: ['ApiKey', 'ApiBase'],
};
const TYPED_FIELDS = Object.values(TYPE_FIELDS).flat();
const SECRET_MAX = 512;

/**
 * Validates a connector. For an update, `current` is the stored connector: parameters not given keep their
 * value, a change of `Type` drops the settings of the old type, and a change of `EndpointUrl` or `ApiBase` asks for
 * the secret again.
 *
 * @example
 *   parseConnector({ Mode: 'live' }, stored).definition.mode // 'live', everything else as stored
 */
export function parseConnector(
  form: FormValues,
  current?: { definition: ConnectorDefinition; secrets: ConnectorSecrets },
): { definition: ConnectorDefinition; secrets: ConnectorSecrets } {
  const given = formValue(form, 'UniqueName');
  if (current && given !== undefined && given !== current.definition.uniqueName) {
    throw payError(64020, `UniqueName cannot be changed (this connector is ${current.definition.uniqueName}); create a connector under the new name and delete this one.`);
  }
  const merged: FormValues = current ? { ...connectorForm(current.definition, formValue(form, 'Type')), ...withoutEmpty(form) } : form;
  const uniqueName = formValue(merged, 'UniqueName');
  if (uniqueName === undefined) throw payError(64020, 'Missing required parameter UniqueName in the post body.');
  if (!CONNECTOR_NAME.test(uniqueName)) {
    throw payError(64020, `UniqueName must be 1 to 64 letters, digits, "_" or "-" (it is what PaymentConnector names); got ${shownValue(uniqueName)}.`);
  }
  const type = formEnum(merged, 'Type', CONNECTOR_TYPES);
  if (type === undefined) throw payError(64020, `Missing required parameter Type in the post body; give one of ${CONNECTOR_TYPES.join(', ')}.`);
  const mode = formEnum(merged, 'Mode', CONNECTOR_MODES) ?? 'test';
  if (type === 'sandbox' && mode === 'live') {
    throw payError(64020, 'A sandbox connector reaches no real gateway and is always Mode=test; use Type=generic or Type=stripe for live payments.');
  }
  const stray = TYPED_FIELDS.find((name) => !TYPE_FIELDS[type].includes(name) && formValue(merged, name) !== undefined);
  if (stray !== undefined) {
    throw payError(64020, `${stray} does not apply to Type=${type}; leave it out (${owningType(stray)} connectors take it).`);
  }
  const endpointUrl = type === 'generic' ? requiredUrl(merged, 'EndpointUrl') : null;
  const apiBase = type === 'stripe' ? (optionalUrl(merged, 'ApiBase') ?? STRIPE_API_BASE) : null;
  // A stored secret goes only where it was given for: without this, anyone holding one of the account's keys could
  // point the connector at a host of their own and receive the gateway password or Stripe key with the next payment.
  const sameType = current?.definition.type === type;
  const moved = current && sameType ? destinationChange(current.definition, { endpointUrl, apiBase }) : null;
  const kept = sameType && moved === null ? current.secrets : {};
  const secrets = type === 'sandbox' ? {} : parseSecrets(type, mode, merged, kept, moved);
  const definition: ConnectorDefinition = {
    uniqueName,
    type,
    mode,
    endpointUrl,
    username: type === 'generic' ? requiredText(merged, 'Username') : null,
    apiBase,
    capabilities: parseCapabilities(merged, type),
  };
  return { definition, secrets };
}

/** Which of the settings that say where a connector's secret is sent an update changes, or null. */
function destinationChange(stored: ConnectorDefinition, next: Pick<ConnectorDefinition, 'endpointUrl' | 'apiBase'>): string | null {
  if (stored.endpointUrl !== next.endpointUrl) return 'EndpointUrl';
  if (stored.apiBase !== next.apiBase) return 'ApiBase';
  return null;
}

/**
 * Why `capabilities` cannot serve a session with these settings (Twilio's 64005, 64006, 64007, 64011 or
 * 64013), or null when it can. Checked when the session starts, so the agent learns it before the caller types.
 *
 * @example
 *   capabilityRefusal('Acme', { ...caps, charge: false }, settings)?.code // 64007 when settings.chargeAmount is set
 */
export function capabilityRefusal(name: string, capabilities: ConnectorCapabilities, settings: PaymentSettings): PaytoneError | null {
  const charging = settings.chargeAmount !== null;
  if (charging && !capabilities.charge) {
    return payError(64007, `PaymentConnector "${name}" cannot charge. Leave ChargeAmount empty (or 0) to tokenize, or choose a connector that can charge.`);
  }
  if (!charging && !capabilities.tokenize) {
    return payError(64005, `PaymentConnector "${name}" cannot tokenize. Give a ChargeAmount greater than 0 to charge, or choose a connector that can tokenize.`);
  }
  if (!capabilities.paymentMethods.includes(settings.paymentMethod)) {
    return payError(64013, `PaymentConnector "${name}" does not take PaymentMethod=${settings.paymentMethod}; it takes ${capabilities.paymentMethods.join(', ')}.`);
  }
  if (charging && capabilities.currencies !== 'any' && !capabilities.currencies.includes(settings.currency)) {
    return payError(64011, `PaymentConnector "${name}" does not take Currency=${settings.currency}; it takes ${capabilities.currencies.join(', ')}.`);
  }
  if (!charging && !capabilities.tokenTypes.includes(settings.tokenType)) {
    return payError(64006, `PaymentConnector "${name}" does not make TokenType=${settings.tokenType} tokens; it makes ${capabilities.tokenTypes.join(', ')}.`);
  }
  return null;
}

/** The stored definition as form values, the shape an update is merged into. */
function connectorForm(d: ConnectorDefinition, newType: string | undefined): FormValues {
  const keepTyped = newType === undefined || newType === d.type;
  const form: FormValues = {
    UniqueName: d.uniqueName,
    Type: d.type,
    Mode: d.mode,
    SupportsCharge: String(d.capabilities.charge),
    SupportsTokenize: String(d.capabilities.tokenize),
    PaymentMethods: d.capabilities.paymentMethods.join(' '),
    TokenTypes: d.capabilities.tokenTypes.join(' '),
    Currencies: d.capabilities.currencies === 'any' ? 'any' : d.capabilities.currencies.join(' '),
  };
  if (!keepTyped) {
    // A new type starts from its own limits, not the old type's narrowing.
    for (const name of ['PaymentMethods', 'TokenTypes', 'Currencies', 'SupportsCharge', 'SupportsTokenize']) delete form[name];
    return form;
  }
  if (d.endpointUrl !== null) form.EndpointUrl = d.endpointUrl;
  if (d.username !== null) form.Username = d.username;
  if (d.apiBase !== null) form.ApiBase = d.apiBase;
  return form;
}

function withoutEmpty(form: FormValues): FormValues {
  return Object.fromEntries(Object.entries(form).filter(([, v]) => v !== ''));
}

function owningType(field: string): string {
  return CONNECTOR_TYPES.filter((t) => TYPE_FIELDS[t].includes(field)).join(', ');
}

/** The secret the update gives, or the stored one (`kept`); `moved` names the change that voids the stored one. */
function parseSecrets(type: ConnectorType, mode: ConnectorMode, form: FormValues, kept: ConnectorSecrets, moved: string | null): ConnectorSecrets {
  const missing = (name: string, why: string) =>
    payError(64020, moved === null ? `Missing required parameter ${name}: ${why}.` : `${name} must be given again when ${moved} changes: a stored secret is sent only where it was given for.`);
  if (type === 'generic') {
    const password = formValue(form, 'Password') ?? kept.password;
    if (password === undefined) throw missing('Password', 'a generic connector signs in to its endpoint with HTTP Basic (Username and Password)');
    checkSecretLength('Password', password);
    return { password };
  }
  const apiKey = formValue(form, 'ApiKey') ?? kept.apiKey;
  if (apiKey === undefined) throw missing('ApiKey', 'a stripe connector needs a secret or restricted key (sk_... or rk_...)');
  checkSecretLength('ApiKey', apiKey);
  const keyMode = /^(?:sk|rk)_(test|live)_[A-Za-z0-9]+$/.exec(apiKey)?.[1];
  if (keyMode === undefined) {
    throw payError(64020, 'ApiKey must be a Stripe secret or restricted key: sk_test_..., sk_live_..., rk_test_... or rk_live_....');
  }
  if (keyMode !== mode) {
    throw payError(64020, `ApiKey is a ${keyMode} key but Mode=${mode}; give a ${mode} key (sk_${mode}_...) or set Mode=${keyMode}.`);
  }
  return { apiKey };
}

function checkSecretLength(name: string, value: string): void {
  if (value.length > SECRET_MAX) throw payError(64020, `${name} may be at most ${SECRET_MAX} characters; got ${value.length}.`);
}

function requiredText(form: FormValues, name: string): string {
  const value = formValue(form, name);
  if (value === undefined) throw payError(64020, `Missing required parameter ${name} in the post body.`);
  if (value.length > 255 || value.includes(':')) throw payError(64020, `${name} must be at most 255 characters and contain no ":"; got ${shownValue(value)}.`);
  return value;
}

function requiredUrl(form: FormValues, name: string): string {
  const url = optionalUrl(form, name);
  if (url === undefined) throw payError(64020, `Missing required parameter ${name} in the post body: the http(s) URL payments are sent to.`);
  return url;
}

function optionalUrl(form: FormValues, name: string): string | undefined {
  const value = formValue(form, name);
  if (value === undefined) return undefined;
  if (!isAbsoluteHttpUrl(value) || value.length > 2048) throw payError(64020, `${name} must be an absolute http or https URL; got ${shownValue(value)}.`);
  if (new URL(value).username !== '' || new URL(value).password !== '') {
    throw payError(64020, `${name} must not carry credentials; give them as Username and Password, which are kept encrypted.`);
  }
  return value;
}

function parseCapabilities(form: FormValues, type: ConnectorType): ConnectorCapabilities {
  const limits = TYPE_LIMITS[type];
  const within = <T extends string>(name: string, allowed: readonly T[]): T[] => {
    const raw = formValue(form, name);
    if (raw === undefined) return [...allowed];
    const names = [...new Set(raw.split(/[\s,]+/).filter((n) => n !== ''))];
    const outside = names.find((n) => !(allowed as readonly string[]).includes(n));
    if (outside !== undefined || names.length === 0) {
      const what = outside === undefined ? 'nothing was given' : `${shownValue(outside)} is not one of them`;
      throw payError(64020, `${name} for a ${type} connector takes a space-separated list of ${allowed.join(', ')}; ${what}.`);
    }
    return names as T[];
  };
  const flag = (name: string, limit: boolean): boolean => {
    const value = formBoolean(form, name) ?? limit;
    if (value && !limit) throw payError(64020, `${name}=true is not possible for a ${type} connector.`);
    return value;
  };
  const capabilities: ConnectorCapabilities = {
    charge: flag('SupportsCharge', limits.charge),
    tokenize: flag('SupportsTokenize', limits.tokenize),
    paymentMethods: within('PaymentMethods', limits.paymentMethods),
    tokenTypes: within('TokenTypes', limits.tokenTypes),
    currencies: parseCurrencies(formValue(form, 'Currencies')),
  };
  if (!capabilities.charge && !capabilities.tokenize) {
    throw payError(64020, 'SupportsCharge and SupportsTokenize are both false: the connector could do nothing; allow at least one.');
  }
  return capabilities;
}

function parseCurrencies(raw: string | undefined): string[] | 'any' {
  if (raw === undefined || raw.trim().toLowerCase() === 'any') return 'any';
  const codes = [...new Set(raw.split(/[\s,]+/).filter((c) => c !== '').map((c) => c.toUpperCase()))];
  const bad = codes.find((c) => !/^[A-Z]{3}$/.test(c));
  if (bad !== undefined || codes.length === 0) {
    throw payError(64020, `Currencies must be "any" or a space-separated list of 3-letter ISO 4217 codes such as "USD EUR"; got ${shownValue(raw)}.`);
  }
  return codes;
}
