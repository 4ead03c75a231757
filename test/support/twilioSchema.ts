/**
 * Validators for paytone's JSON against Twilio's own OpenAPI file (the repository's excerpt of it, in
 * `vendor/twilio-oai/`), so wire-compatibility tests check the shape Twilio publishes rather than ours.
 *
 * By default a validator also demands every property the schema lists and no others: Twilio's
 * responses carry all of them (null when empty), and the official clients read them by name.
 *
 * @example
 *   const validate = validatorFor('api.v2010.account.call.payments');
 *   assert.ok(validate(body), JSON.stringify(validate.errors));
 */
import { readFileSync } from 'node:fs';
import { Ajv, type SchemaObject, type ValidateFunction } from 'ajv';
import { TWILIO_EXCERPT_FILE } from '../../src/ops/writeTwilioOperations.js';

const RFC_2822_UTC = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$/;

export interface TwilioSchema {
  components: { schemas: Record<string, SchemaObject> };
}

let loaded: TwilioSchema | undefined;
let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

/**
 * Twilio's API 2010 OpenAPI document (the operations paytone serves and their schemas), read once.
 *
 * @example
 *   Object.keys(loadTwilioSchema().components.schemas['api.v2010.account.call'].properties)
 */
export function loadTwilioSchema(): TwilioSchema {
  loaded ??= JSON.parse(readFileSync(TWILIO_EXCERPT_FILE, 'utf8')) as TwilioSchema;
  return loaded;
}

function twilioAjv(): Ajv {
  if (ajv) return ajv;
  // OpenAPI 3.0 extras (`nullable`, `x-twilio`, formats such as `uri-map`) are not JSON Schema: ajv
  // honours `nullable` itself, and strict mode is off so the vendor keywords and other formats are ignored.
  ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  ajv.addFormat('date-time-rfc-2822', RFC_2822_UTC);
  ajv.addFormat('currency', /^[A-Z]{3}$/);
  ajv.addSchema({ $id: 'twilio', components: loadTwilioSchema().components });
  return ajv;
}

/**
 * A validator for one of Twilio's component schemas, e.g. `api.v2010.account.call`.
 * `allowExtraFields` is for paytone's extension GETs, which add fields to Twilio's.
 *
 * @example
 *   validatorFor('api.v2010.account.call.payments', { allowExtraFields: true })
 */
export function validatorFor(name: string, options: { allowExtraFields?: boolean } = {}): ValidateFunction {
  const key = `${name}|${options.allowExtraFields === true}`;
  const cached = validators.get(key);
  if (cached) return cached;
  const schema = loadTwilioSchema().components.schemas[name];
  if (!schema) throw new Error(`Twilio's OpenAPI file has no schema named ${name}`);
  const properties = Object.keys((schema.properties ?? {}) as Record<string, unknown>);
  const validate = twilioAjv().compile({
    allOf: [{ $ref: `twilio#/components/schemas/${name}` }],
    required: properties,
    ...(options.allowExtraFields ? {} : { properties: Object.fromEntries(properties.map((p) => [p, true])), additionalProperties: false }),
  });
  validators.set(key, validate);
  return validate;
}
