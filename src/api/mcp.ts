/**
 * The MCP server over Streamable HTTP at `/mcp`, on the API's own port. It takes the REST API's credentials (the
 * account's sid and auth token, or an API key and its secret, as HTTP Basic) and serves the account they belong
 * to; failures are the REST API's (20003, or 20429 with Retry-After), and so is the per-account rate limit.
 *
 * Stateless: each POST gets a new server and transport, answered with plain JSON (a long-poll tool simply holds
 * its answer), so any process of a cluster can serve any request and no session needs to be kept or resumed.
 * A GET (a stream of server-sent notifications) or DELETE (ending a session) has nothing to do here: 405. A body
 * that is not a JSON-RPC message is refused before it reaches the transport, with Twilio's envelope.
 *
 * @example
 *   curl -u "$ACCOUNT_SID:$AUTH_TOKEN" -H 'Accept: application/json, text/event-stream' -H 'Content-Type: application/json' \
 *     -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' http://127.0.0.1:8080/mcp
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { AppContext } from '../app/context.js';
import { auditedUserAgent } from '../domain/audit.js';
import { authenticateRequest, sendAuthRefusal } from './auth.js';
import { accountRateLimit } from './rateLimit.js';
import { BODY_LIMIT_BYTES } from './limits.js';
import { sendError } from './errors.js';
import { PaytoneError, payError } from '../domain/errors.js';

export const MCP_PATH = '/mcp';

/**
 * The MCP SDK and paytone's tools, loaded at the first MCP request: with their schemas they are a fifth of what a
 * process loads at start-up, and most processes never serve MCP.
 */
let mcpModules: Promise<McpModules> | null = null;
type McpModules = [typeof import('@modelcontextprotocol/sdk/server/streamableHttp.js'), typeof import('@modelcontextprotocol/sdk/types.js'), typeof import('../mcp/server.js')];
const loadMcp = (): Promise<McpModules> =>
  (mcpModules ??= Promise.all([import('@modelcontextprotocol/sdk/server/streamableHttp.js'), import('@modelcontextprotocol/sdk/types.js'), import('../mcp/server.js')]));

/**
 * The JSON-RPC message (or batch) of a POST, or the refusal to answer: the transport's own refusals would be
 * JSON-RPC errors, but nothing reached JSON-RPC yet, so they are Twilio's envelope as everywhere on this port.
 */
function messageOf(request: FastifyRequest, isMessage: (value: unknown) => boolean): unknown | PaytoneError {
  if (!/^application\/json\s*(;|$)/i.test(request.headers['content-type'] ?? '') || typeof request.body !== 'string') {
    return payError(20415, 'Send MCP messages as application/json: one JSON-RPC 2.0 message per POST.');
  }
  try {
    const message: unknown = JSON.parse(request.body);
    if (Array.isArray(message) ? message.length > 0 && message.every(isMessage) : isMessage(message)) return message;
  } catch {
    // not JSON: refused below
  }
  return payError(20001, 'The body is not a JSON-RPC 2.0 message: send {"jsonrpc":"2.0","id":1,"method":"tools/list"} and the like, as an MCP client does.');
}

async function serve(app: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const [{ StreamableHTTPServerTransport }, { JSONRPCMessageSchema }, { createMcpServer }] = await loadMcp();
  const message = messageOf(request, (value) => JSONRPCMessageSchema.safeParse(value).success);
  if (message instanceof PaytoneError) {
    await sendError(reply, message);
    return;
  }
  // Every answer here is JSON (enableJsonResponse), so a client that did not list both types (curl) is served too.
  request.raw.headers.accept = 'application/json, text/event-stream';
  const mcp = createMcpServer(app, {
    principal: request.principal!,
    sourceIp: request.ip,
    userAgent: auditedUserAgent(request.headers['user-agent']),
    origin: `${request.protocol}://${request.host}`,
  });
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  // The transport writes the answer itself; the answer's end (or the client going away) ends both.
  reply.hijack();
  reply.raw.on('close', () => {
    void transport.close();
    void mcp.close();
  });
  try {
    await mcp.connect(transport);
    await transport.handleRequest(request.raw, reply.raw, message);
  } catch (err) {
    app.log.error({ error: err instanceof Error ? err.message : String(err) }, 'mcp request failed');
    if (!reply.raw.headersSent) {
      reply.raw.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      reply.raw.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'paytone could not answer the request; it has been logged.' }, id: null }));
    }
  }
}

export function mcpRoutes(server: FastifyInstance, app: AppContext): void {
  server.register(async (scope) => {
    // The rest of the API takes form posts only; MCP is JSON. Read as text here, parsed (or refused) in the route.
    scope.addContentTypeParser(['application/json', '*'], { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, (_request, body, done) => done(null, body));
    scope.addHook('preHandler', async (request, reply) => {
      const refusal = await authenticateRequest(app.authenticator, request, null);
      if (refusal) await sendAuthRefusal(request, reply, refusal);
    });
    if (app.rateLimit) await scope.register(rateLimit, accountRateLimit(app.rateLimit));
    scope.post(MCP_PATH, (request, reply) => serve(app, request, reply));
    for (const method of ['GET', 'DELETE'] as const) {
      scope.route({
        method,
        url: MCP_PATH,
        handler: async (_request, reply) =>
          sendError(reply.header('Allow', 'POST'), payError(20004, 'This MCP server is stateless: send each JSON-RPC message as a POST; there is no stream or session to open or end.')),
      });
    }
  });
}
