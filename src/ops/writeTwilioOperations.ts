/**
 * `npm run openapi:twilio`: regenerates `src/ops/twilio-operations.json` from Twilio's OpenAPI file in the
 * shared folder beside the checkout (or the file named as the first argument).
 */
import fs from 'node:fs';
import path from 'node:path';
import { trimTwilioDocument } from './twilioOperations.js';

export const TWILIO_OPENAPI_FILE = path.resolve(process.cwd(), '../shared/twilio-oai/twilio_api_v2010.json');
export const TWILIO_OPERATIONS_FILE = path.resolve(process.cwd(), 'src/ops/twilio-operations.json');

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const source = process.argv[2] ?? TWILIO_OPENAPI_FILE;
  const subset = trimTwilioDocument(JSON.parse(fs.readFileSync(source, 'utf8')));
  fs.writeFileSync(TWILIO_OPERATIONS_FILE, JSON.stringify(subset, null, 2) + '\n');
  process.stdout.write(`wrote ${TWILIO_OPERATIONS_FILE}: ${Object.keys(subset.paths).length} paths, ${Object.keys(subset.schemas).length} schemas\n`);
}
