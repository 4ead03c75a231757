/**
 * Twilio's IncomingPhoneNumbers: the numbers calls reach paytone on, and what to do with a call to each one.
 *
 * paytone sells no numbers: a number is one the operator's carrier, SBC or PBX already routes to paytone's SIP
 * address, registered here so that an INVITE for it becomes a Call of its account and paytone knows which
 * `VoiceUrl` to ask for TwiML. A number belongs to one account at most (an INVITE names the number, not the
 * account). Voice is all paytone does: the SMS settings are not kept (URLs null, methods Twilio's POST).
 *
 * @example
 *   const number = parseCreatePhoneNumber({ PhoneNumber: '+15551230001', VoiceUrl: 'https://app.example/voice' }, policy);
 *   reply.send(phoneNumberView(record));
 */
import { formatRfc2822 } from './dates.js';
import { payError } from './errors.js';
import { formBoolean, formValue, shownValue, type FormValues } from './form.js';
import { formatPhoneNumber, normalizeE164 } from './endpoints.js';
import { formHttpMethod, formWebhookUrl, recoded, type HttpMethod } from './webhookParams.js';
import type { CallbackPolicy } from './callbackPolicy.js';

/** A number as the store keeps it; times are epoch milliseconds. */
export interface PhoneNumberRecord {
  sid: string;
  accountSid: string;
  phoneNumber: string;
  friendlyName: string;
  voiceUrl: string | null;
  voiceMethod: HttpMethod;
  voiceFallbackUrl: string | null;
  voiceFallbackMethod: HttpMethod;
  statusCallback: string | null;
  statusCallbackMethod: HttpMethod;
  voiceCallerIdLookup: boolean;
  dateCreated: number;
  dateUpdated: number;
}

/** What a create or update sets; absent keys stay as they are (or take their default on create). */
export type PhoneNumberSettings = Partial<Pick<PhoneNumberRecord, 'friendlyName' | 'voiceUrl' | 'voiceMethod' | 'voiceFallbackUrl' | 'voiceFallbackMethod' | 'statusCallback' | 'statusCallbackMethod' | 'voiceCallerIdLookup'>>;

const MAX_FRIENDLY_NAME = 64;

/**
 * Parameters paytone cannot honour, refused rather than silently dropped: each would change where a call goes.
 * (Twilio's own sids for applications, trunks and bundles name nothing on a paytone server.)
 */
const NOT_ROUTED_HERE = ['VoiceApplicationSid', 'TrunkSid', 'AreaCode'] as const;

/**
 * Validates an IncomingPhoneNumbers create request: `PhoneNumber` in E.164 (separators allowed) and the settings.
 *
 * @example
 *   parseCreatePhoneNumber({ PhoneNumber: '+1 555 123 0001' }, policy).phoneNumber // '+15551230001'
 */
export function parseCreatePhoneNumber(form: FormValues, policy: CallbackPolicy): { phoneNumber: string; settings: PhoneNumberSettings } {
  const given = formValue(form, 'PhoneNumber');
  if (given === undefined) {
    throw payError(21421, 'PhoneNumber is required: paytone has no numbers to sell, so give the E.164 number (such as +15551230001) that your carrier or PBX routes to paytone.');
  }
  const phoneNumber = normalizeE164(given);
  if (phoneNumber === null) throw payError(21421, `PhoneNumber must be an E.164 number such as +15551230001; got ${shownValue(given)}.`);
  return { phoneNumber, settings: parseSettings(form, policy) };
}

/**
 * Validates an IncomingPhoneNumbers update request. The number itself cannot change, as on Twilio.
 *
 * @example
 *   parseUpdatePhoneNumber({ VoiceMethod: 'GET' }, policy) // { voiceMethod: 'GET' }
 */
export function parseUpdatePhoneNumber(form: FormValues, policy: CallbackPolicy): PhoneNumberSettings {
  if (formValue(form, 'PhoneNumber') !== undefined) throw payError(21421, 'PhoneNumber cannot be changed; delete this number and create the new one.');
  return parseSettings(form, policy);
}

function parseSettings(form: FormValues, policy: CallbackPolicy): PhoneNumberSettings {
  for (const name of NOT_ROUTED_HERE) {
    if (formValue(form, name) !== undefined) throw payError(20001, `${name} is not supported by paytone: set VoiceUrl (and VoiceFallbackUrl) on the number instead.`);
  }
  const settings: PhoneNumberSettings = {};
  const friendlyName = formValue(form, 'FriendlyName');
  if (friendlyName !== undefined) {
    if (friendlyName.length > MAX_FRIENDLY_NAME) throw payError(20001, `FriendlyName may be at most ${MAX_FRIENDLY_NAME} characters; got ${friendlyName.length}.`);
    settings.friendlyName = friendlyName;
  }
  const urls = [
    ['VoiceUrl', 'voiceUrl'],
    ['VoiceFallbackUrl', 'voiceFallbackUrl'],
    ['StatusCallback', 'statusCallback'],
  ] as const;
  for (const [name, key] of urls) {
    // Twilio clears a URL that is set to the empty string; an absent one stays as it is.
    if (form[name] === '') settings[key] = null;
    else {
      const url = formWebhookUrl(form, name, policy);
      if (url !== null) settings[key] = url;
    }
  }
  const methods = [
    ['VoiceMethod', 'voiceMethod'],
    ['VoiceFallbackMethod', 'voiceFallbackMethod'],
    ['StatusCallbackMethod', 'statusCallbackMethod'],
  ] as const;
  for (const [name, key] of methods) {
    const method = formHttpMethod(form, name);
    if (method !== undefined) settings[key] = method;
  }
  const lookup = recoded(20001, () => formBoolean(form, 'VoiceCallerIdLookup'));
  if (lookup !== undefined) settings.voiceCallerIdLookup = lookup;
  return settings;
}

/**
 * A new number's record: Twilio's defaults (POST methods, the formatted number as its name) under the settings.
 *
 * @example
 *   newPhoneNumber({ sid, accountSid, phoneNumber: '+14155550100', settings: {}, now }).friendlyName // '(415) 555-0100'
 */
export function newPhoneNumber(a: { sid: string; accountSid: string; phoneNumber: string; settings: PhoneNumberSettings; now: number }): PhoneNumberRecord {
  return {
    sid: a.sid,
    accountSid: a.accountSid,
    phoneNumber: a.phoneNumber,
    friendlyName: formatPhoneNumber(a.phoneNumber),
    voiceUrl: null,
    voiceMethod: 'POST',
    voiceFallbackUrl: null,
    voiceFallbackMethod: 'POST',
    statusCallback: null,
    statusCallbackMethod: 'POST',
    voiceCallerIdLookup: false,
    ...a.settings,
    dateCreated: a.now,
    dateUpdated: a.now,
  };
}

/**
 * Twilio's IncomingPhoneNumber JSON (`api.v2010.account.incoming_phone_number`): every property, null where paytone
 * has nothing to say.
 *
 * @example
 *   phoneNumberView(record).uri // '/2010-04-01/Accounts/AC.../IncomingPhoneNumbers/PN....json'
 */
export function phoneNumberView(n: PhoneNumberRecord): Record<string, unknown> {
  return {
    account_sid: n.accountSid,
    address_sid: null,
    address_requirements: 'none',
    api_version: '2010-04-01',
    beta: false,
    capabilities: { fax: false, mms: false, sms: false, voice: true },
    date_created: formatRfc2822(n.dateCreated),
    date_updated: formatRfc2822(n.dateUpdated),
    friendly_name: n.friendlyName,
    identity_sid: null,
    phone_number: n.phoneNumber,
    // The operator's own number, brought to paytone: Twilio calls such numbers hosted.
    origin: 'hosted',
    sid: n.sid,
    sms_application_sid: null,
    // Twilio's defaults; the SMS settings take no value here.
    sms_fallback_method: 'POST',
    sms_fallback_url: null,
    sms_method: 'POST',
    sms_url: null,
    status_callback: n.statusCallback,
    status_callback_method: n.statusCallbackMethod,
    trunk_sid: null,
    uri: `/2010-04-01/Accounts/${n.accountSid}/IncomingPhoneNumbers/${n.sid}.json`,
    voice_receive_mode: 'voice',
    voice_application_sid: null,
    voice_caller_id_lookup: n.voiceCallerIdLookup,
    voice_fallback_method: n.voiceFallbackMethod,
    voice_fallback_url: n.voiceFallbackUrl,
    voice_method: n.voiceMethod,
    voice_url: n.voiceUrl,
    emergency_status: 'Inactive',
    emergency_address_sid: null,
    emergency_address_status: 'unregistered',
    bundle_sid: null,
    status: 'in-use',
    type: 'local',
  };
}
