/**
 * `npm run openapi:twilio`: regenerates `src/ops/twilio-operations.json` from the repository's excerpt of
 * Twilio's OpenAPI file (`vendor/twilio-oai/twilio_api_v2010.excerpt.json`).
 *
 * `npm run openapi:twilio -- <twilio_api_v2010.json> <commit>` first refreshes that excerpt from a copy of
 * Twilio's whole file (spec/json/twilio_api_v2010.json of github.com/twilio/twilio-oai at that commit).
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TWILIO_EXCERPT_PATH, excerptTwilioDocument, type TwilioExcerpt } from './twilioExcerpt.js';
import { trimTwilioDocument } from './twilioOperations.js';

const REPOSITORY_ROOT = new URL('../../../', import.meta.url);
export const TWILIO_EXCERPT_FILE = fileURLToPath(new URL(TWILIO_EXCERPT_PATH, REPOSITORY_ROOT));
export const TWILIO_OPERATIONS_FILE = fileURLToPath(new URL('src/ops/twilio-operations.json', REPOSITORY_ROOT));
const COMMIT = /^[0-9a-f]{40}$/;

function writeJson(file: string, value: unknown): void {
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === fs.realpathSync(process.argv[1])) {
  const [twilioFile, commit] = process.argv.slice(2);
  if (twilioFile !== undefined) {
    if (commit === undefined || !COMMIT.test(commit)) {
      process.stderr.write("usage: npm run openapi:twilio -- <twilio_api_v2010.json> <the twilio-oai commit it comes from, 40 hex digits>\n");
      process.exit(2);
    }
    const excerpt = excerptTwilioDocument(JSON.parse(fs.readFileSync(twilioFile, 'utf8')) as TwilioExcerpt);
    const source = { repository: 'https://github.com/twilio/twilio-oai', path: 'spec/json/twilio_api_v2010.json', commit, license: 'MIT' };
    writeJson(TWILIO_EXCERPT_FILE, { 'x-paytone-source': source, ...excerpt });
    process.stdout.write(`wrote ${TWILIO_EXCERPT_FILE}: ${Object.keys(excerpt.components.schemas).length} schemas of ${twilioFile}\n`);
  }
  const subset = trimTwilioDocument(JSON.parse(fs.readFileSync(TWILIO_EXCERPT_FILE, 'utf8')) as TwilioExcerpt);
  writeJson(TWILIO_OPERATIONS_FILE, subset);
  process.stdout.write(`wrote ${TWILIO_OPERATIONS_FILE}: ${Object.keys(subset.paths).length} paths, ${Object.keys(subset.schemas).length} schemas\n`);
}
