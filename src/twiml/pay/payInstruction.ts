/**
 * Reads a `<Pay>` element into what the IVR pay flow needs, without doing anything: the session settings (mapped onto
 * the Payments create request's names, so both front doors share one set of rules and messages), where the outcome
 * and the progress go, how many tries each field gets, the `<Prompt>`s and the `<Parameter>`s.
 *
 * Twilio's attributes, values and defaults are listed in docs/ivr-payments.md. A value paytone cannot honour becomes
 * a problem with Twilio's code (64003 amount, 64016 a plain-http action where https is required, 64017
 * bankAccountType with cards, 64020 any other value), so the call ends the way Twilio ends it.
 *
 * @example
 *   const read = payInstruction(element, scope);
 *   if (read.ok) read.value.settings.paymentMethod // 'credit-card'
 */
import { PaytoneError } from '../../domain/errors.js';
import { parsePaymentSettings } from '../../domain/paymentParams.js';
import { shownValue, type FormValues } from '../../domain/form.js';
import { BANK_FIELDS, type PaymentSettings } from '../../domain/types.js';
import type { TwimlElement } from '../document.js';
import { parsed, problem, requestMethod, requestUrl, type NextRequest, type Parsed, type VerbScope } from '../verb.js';
import { payPrompts, type PayPrompt } from './prompts.js';
import { PAY_LANGUAGES, type PayLanguage } from './defaultPrompts.js';

export interface PayInstruction {
  settings: PaymentSettings;
  /** Where the outcome is posted and whose TwiML the call goes on with; null: the document goes on after `<Pay>`. */
  action: Pick<NextRequest, 'url' | 'method'> | null;
  /** Where progress is sent, or null. */
  statusCallback: Pick<NextRequest, 'url' | 'method'> | null;
  /** Tries each field gets before `<Pay>` ends with `too-many-failed-attempts`. */
  maxAttempts: number;
  language: PayLanguage;
  prompts: PayPrompt[];
  /** `postalCode` given as the postal code itself: never asked for, reported as given. */
  postalCodeLiteral: string | null;
}

/** `<Pay>` attribute -> the Payments create parameter with the same meaning. */
const SETTING_NAMES: Record<string, string> = {
  input: 'Input',
  paymentMethod: 'PaymentMethod',
  bankAccountType: 'BankAccountType',
  timeout: 'Timeout',
  securityCode: 'SecurityCode',
  postalCode: 'PostalCode',
  minPostalCodeLength: 'MinPostalCodeLength',
  paymentConnector: 'PaymentConnector',
  tokenType: 'TokenType',
  chargeAmount: 'ChargeAmount',
  currency: 'Currency',
  description: 'Description',
  validCardTypes: 'ValidCardTypes',
};
const OTHER_ATTRIBUTES = new Set(['action', 'method', 'statusCallback', 'statusCallbackMethod', 'maxAttempts', 'language']);
const MAX_PARAMETERS = 100;

export function payInstruction(element: TwimlElement, scope: VerbScope): Parsed<PayInstruction> {
  const a = element.attributes;
  const unknown = Object.keys(a).find((name) => SETTING_NAMES[name] === undefined && !OTHER_ATTRIBUTES.has(name));
  if (unknown !== undefined) {
    return problem(64020, `<Pay ${unknown.slice(0, 40)}> is not an attribute of <Pay>; the attributes are ${[...Object.keys(SETTING_NAMES), ...OTHER_ATTRIBUTES].join(', ')}.`);
  }
  const parameters = connectorParameters(element.children);
  if (!parameters.ok) return parameters;
  const prompts = payPrompts(element.children, scope);
  if (!prompts.ok) return prompts;
  const postalCodeLiteral = a.postalCode !== undefined && !/^(true|false|)$/i.test(a.postalCode) ? a.postalCode : null;
  if (postalCodeLiteral !== null && !/^[A-Za-z0-9][A-Za-z0-9 -]{0,9}$/.test(postalCodeLiteral)) {
    return problem(64020, `<Pay postalCode=${shownValue(postalCodeLiteral)}> must be true, false, or a postal code of at most 10 letters and digits.`);
  }
  const settings = sessionSettings({ ...a, ...(postalCodeLiteral !== null ? { postalCode: 'false' } : {}) }, parameters.value, prompts.value);
  if (!settings.ok) return settings;
  if (postalCodeLiteral !== null) settings.value.knownPostalCode = postalCodeLiteral;
  const language = payLanguage(a.language, settings.value);
  if (!language.ok) return language;
  const maxAttempts = a.maxAttempts === undefined || a.maxAttempts === '' ? 1 : Number(a.maxAttempts.trim());
  if (![1, 2, 3].includes(maxAttempts)) return problem(64020, `<Pay maxAttempts=${shownValue(a.maxAttempts!)}> must be 1, 2 or 3.`);
  const action = payAction(a, scope);
  if (!action.ok) return action;
  const statusCallback = payStatusCallback(a, scope);
  if (!statusCallback.ok) return statusCallback;
  return parsed({ settings: settings.value, action: action.value, statusCallback: statusCallback.value, maxAttempts, language: language.value, prompts: prompts.value, postalCodeLiteral });
}

/** The attributes as Payments parameters, checked by the same rules; `<Prompt requireMatchingInputs>` says which fields are typed twice. */
function sessionSettings(a: Record<string, string>, parameter: Record<string, string> | null, prompts: PayPrompt[]): Parsed<PaymentSettings> {
  const form: FormValues = {};
  for (const [attribute, name] of Object.entries(SETTING_NAMES)) if (a[attribute] !== undefined) form[name] = a[attribute];
  if (parameter !== null) form.Parameter = JSON.stringify(parameter);
  const matched = [...new Set(prompts.filter((p) => p.requireMatchingInputs).map((p) => p.for))];
  // The Payments API types card fields twice only; a bank field typed twice is `<Pay>`'s own, as on Twilio.
  const bankMatched = BANK_FIELDS.filter((field) => matched.includes(field));
  const cardMatched = matched.filter((field) => !(BANK_FIELDS as readonly string[]).includes(field));
  if (cardMatched.length > 0) form.RequireMatchingInputs = cardMatched.join(',');
  try {
    const settings = parsePaymentSettings(form);
    if (bankMatched.length > 0 && settings.paymentMethod !== 'ach-debit') {
      return problem(64020, `<Prompt for="${bankMatched[0]}" requireMatchingInputs="true"> asks for a bank field twice; it needs <Pay paymentMethod="ach-debit">.`);
    }
    return parsed({ ...settings, requireMatchingInputs: [...settings.requireMatchingInputs, ...bankMatched] });
  } catch (err) {
    if (!(err instanceof PaytoneError)) throw err;
    const code = err.code === 64003 || err.code === 64017 ? err.code : 64020;
    // The rules name the Payments parameter; the developer wrote the <Pay> attribute.
    return problem(code, `<Pay>: ${renamed(err.message)}`);
  }
}

/** A Payments parameter name in a message, as the `<Pay>` attribute that carries it. */
function renamed(message: string): string {
  let out = message;
  for (const [attribute, name] of Object.entries(SETTING_NAMES)) out = out.replace(new RegExp(`\\b${name}\\b`, 'g'), attribute);
  return out.replace(/\bRequireMatchingInputs\b/g, '<Prompt requireMatchingInputs>');
}

/** `<Parameter name value>` children: passed to the connector as the session's Parameter object. */
function connectorParameters(children: TwimlElement[]): Parsed<Record<string, string> | null> {
  const nouns = children.filter((c) => c.name === 'Parameter');
  if (nouns.length === 0) return parsed(null);
  if (nouns.length > MAX_PARAMETERS) return problem(64020, `<Pay> may carry at most ${MAX_PARAMETERS} <Parameter> nouns; it has ${nouns.length}.`);
  const values: Record<string, string> = {};
  for (const noun of nouns) {
    const name = noun.attributes.name;
    if (name === undefined || name === '') return problem(64020, '<Parameter> inside <Pay> needs a name attribute.');
    values[name] = noun.attributes.value ?? '';
  }
  return parsed(values);
}

function payLanguage(given: string | undefined, settings: PaymentSettings): Parsed<PayLanguage> {
  if (given === undefined || given === '') return parsed('en-US');
  const language = PAY_LANGUAGES.find((l) => l.toLowerCase() === given.toLowerCase());
  if (language === undefined) return problem(64020, `<Pay language=${shownValue(given)}> must be one of ${PAY_LANGUAGES.join(', ')}.`);
  // Twilio speaks ACH prompts in English only.
  if (settings.paymentMethod === 'ach-debit' && !language.startsWith('en-')) {
    return problem(64020, `<Pay language="${language}"> is not available with paymentMethod="ach-debit": bank account prompts are English only.`);
  }
  return parsed(language);
}

/**
 * `action`: https and POST, as Twilio requires (64016 otherwise). Plain http is taken where the callback policy
 * trusts it (`PAYTONE_CALLBACK_POLICY=any`, the sandbox default), so an app on the developer's own machine works.
 */
function payAction(a: Record<string, string>, scope: VerbScope): Parsed<PayInstruction['action']> {
  if (a.method !== undefined && a.method.toUpperCase() !== 'POST') return problem(64020, `<Pay method=${shownValue(a.method)}>: the action is always requested by POST.`);
  if (a.action === undefined || a.action === '') {
    // Twilio posts to the current document's URL; a document given as Twiml has none, and the document goes on.
    return parsed(scope.documentUrl === null ? null : { url: scope.documentUrl, method: 'POST' });
  }
  const plainHttp = URL.canParse(a.action, scope.documentUrl ?? undefined) && new URL(a.action, scope.documentUrl ?? undefined).protocol === 'http:';
  if (plainHttp && scope.policy.mode === 'public') return problem(64016, `<Pay action=${shownValue(a.action)}> must be an https URL.`);
  const url = requestUrl(a.action, 'action', 'Pay', scope);
  if (!url.ok) return url;
  return parsed({ url: url.value, method: 'POST' });
}

function payStatusCallback(a: Record<string, string>, scope: VerbScope): Parsed<PayInstruction['statusCallback']> {
  if (a.statusCallback === undefined || a.statusCallback === '') return parsed(null);
  const url = requestUrl(a.statusCallback, 'statusCallback', 'Pay', scope);
  if (!url.ok) return url;
  const method = requestMethod(a, 'Pay', 'statusCallbackMethod');
  if (!method.ok) return method;
  return parsed({ url: url.value, method: method.value });
}

