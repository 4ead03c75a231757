/**
 * paytone's whole HTTP surface as one OpenAPI 3.0 document, served at `/openapi.json`: the Twilio-compatible
 * operations as Twilio's own file describes them (trimmed to what paytone reads, see twilioOperations.ts), our
 * extensions on the same paths, and our own routes (sandbox keypad, `/v1` resources, operations).
 *
 * @example
 *   const document = openApiDocument();
 *   Object.keys(document.paths).length; // every path the server serves
 */
import fs from 'node:fs';
import twilio from './twilio-operations.json' with { type: 'json' };
import { EXTENSION_OPERATIONS, EXTENSION_PATHS, EXTENSION_SCHEMAS } from './openapiExtensions.js';
import { MCP_PATHS } from './openapiMcp.js';

type Operation = { security?: Array<Record<string, unknown>>; responses: Record<string, unknown> };
export type OpenApiDocument = {
  openapi: string;
  info: Record<string, unknown>;
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
};

/** The statuses an error envelope may come with, each a reusable response. */
const ERROR_STATUSES: Record<number, string> = {
  400: 'The request was refused: `message` names the parameter and what to fix; nothing changed.',
  401: 'Missing or wrong credentials (20003).',
  404: 'No such account, call, session or resource (20404).',
  429: 'Too many requests for the account (20429); `Retry-After` says when to try again.',
};

const VERSION = (JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

let built: OpenApiDocument | undefined;

export function openApiDocument(): OpenApiDocument {
  built ??= build();
  return built;
}

function build(): OpenApiDocument {
  const paths = structuredClone(twilio.paths) as unknown as OpenApiDocument['paths'];
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) Object.assign(operation.responses, errorResponses(400, 401, 404));
  }
  for (const [path, operations] of Object.entries(EXTENSION_OPERATIONS)) paths[path] = { ...paths[path], ...(operations as Record<string, Operation>) };
  Object.assign(paths, EXTENSION_PATHS, MCP_PATHS);
  // Every route under an account is rate limited per account.
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) {
      if (operation.security?.some((s) => 'accountSid_authToken' in s)) Object.assign(operation.responses, errorResponses(429));
    }
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'paytone',
      version: VERSION,
      description:
        "Agent-assisted phone payments over Twilio's Payments API (2010-04-01), plus paytone's extensions. The Twilio-compatible operations keep Twilio's paths, parameter names and JSON shapes; requests are form posts; errors are Twilio's envelope {code, message, more_info, status}.",
    },
    servers: [{ url: '/' }],
    security: [{ accountSid_authToken: [] }],
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      securitySchemes: {
        accountSid_authToken: { type: 'http', scheme: 'basic', description: 'AccountSid:AuthToken, or an API key SK...:secret with the AccountSid in the path.' },
        eventToken: { type: 'apiKey', in: 'query', name: 'Token', description: 'From CreateEventToken; for the live event stream only.' },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'PAYTONE_METRICS_TOKEN, when it is set.' },
      },
      schemas: { ...twilio.schemas, ...EXTENSION_SCHEMAS },
      responses: Object.fromEntries(
        Object.entries(ERROR_STATUSES).map(([status, description]) => [
          `Error${status}`,
          { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/paytone.error' } } } },
        ]),
      ),
    },
  };
}

function errorResponses(...statuses: number[]): Record<string, unknown> {
  return Object.fromEntries(statuses.map((status) => [String(status), { $ref: `#/components/responses/Error${status}` }]));
}
