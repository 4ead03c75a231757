/**
 * The part of Twilio's OpenAPI file that paytone keeps in `vendor/twilio-oai/`: the operations paytone serves
 * and every schema they reference, copied as Twilio publishes them. Twilio's whole file (about 1.8 MB) describes
 * hundreds of resources paytone never serves; the excerpt is what the wire-compatibility tests and
 * `npm run openapi:twilio` read, so a clone needs nothing beside it.
 *
 * @example
 *   const excerpt = excerptTwilioDocument(JSON.parse(fs.readFileSync('twilio_api_v2010.json', 'utf8')));
 */
import { TWILIO_OPERATIONS, schemasReachedFrom, type JsonObject, type TwilioDocument } from './twilioOperations.js';

/** The repository's excerpt of Twilio's file, relative to the repository root. */
export const TWILIO_EXCERPT_PATH = 'vendor/twilio-oai/twilio_api_v2010.excerpt.json';

export interface TwilioExcerpt extends TwilioDocument {
  openapi: string;
  info: JsonObject;
  security: JsonObject[];
  components: TwilioDocument['components'] & { securitySchemes: JsonObject };
}

/** Twilio's operations that paytone serves and the schemas they reach, unchanged; a valid document of its own. */
export function excerptTwilioDocument(source: TwilioExcerpt): TwilioExcerpt {
  const paths: TwilioDocument['paths'] = {};
  for (const { path, method } of TWILIO_OPERATIONS) {
    const operation = source.paths[path]?.[method];
    if (operation === undefined) throw new Error(`Twilio's file has no ${method.toUpperCase()} ${path}`);
    (paths[path] ??= {})[method] = operation;
  }
  return {
    openapi: source.openapi,
    info: source.info,
    security: source.security,
    paths,
    components: { securitySchemes: source.components.securitySchemes, schemas: schemasReachedFrom(paths, source, (schema) => schema) },
  };
}

