/**
 * The OpenAPI description of `/mcp`, the MCP server for AI voice agents (docs/ai-voice-agents.md). Its messages are
 * JSON-RPC 2.0 as the Model Context Protocol defines them, so the body is described as a JSON-RPC message and the
 * tools are listed by the server itself (`tools/list`).
 */
type Operation = Record<string, unknown>;

const jsonRpc = { type: 'object', properties: { jsonrpc: { type: 'string', enum: ['2.0'] } }, required: ['jsonrpc'], additionalProperties: true };
const rpcAnswer = (description: string) => ({ description, content: { 'application/json': { schema: jsonRpc } } });
const refused = { '401': { $ref: '#/components/responses/Error401' } };
const notHere = {
  summary: 'Not offered: the server is stateless, with no notification stream or session (405, Allow: POST).',
  security: [{ accountSid_authToken: [] }],
  responses: { '405': rpcAnswer('A JSON-RPC error saying to POST each message.'), ...refused },
};

export const MCP_PATHS: Record<string, Record<string, Operation>> = {
  '/mcp': {
    post: {
      operationId: 'PostMcpMessage',
      summary:
        "One Model Context Protocol message (Streamable HTTP, stateless, JSON answers): the tools, resource and prompt for AI voice agents, as the account of the Basic credentials (AccountSid:AuthToken, or an API key SK...:secret). Accept must list application/json and text/event-stream.",
      security: [{ accountSid_authToken: [] }],
      requestBody: { required: true, content: { 'application/json': { schema: jsonRpc } } },
      responses: {
        '200': rpcAnswer('The JSON-RPC answer; a refused tool call is a result with isError and the Twilio code in structuredContent.error.'),
        '202': { description: 'A notification or answer taken; nothing to say back.' },
        '400': rpcAnswer('The body is not JSON (-32700), or not a JSON-RPC message.'),
        ...refused,
      },
    },
    get: { operationId: 'OpenMcpStream', ...notHere },
    delete: { operationId: 'EndMcpSession', ...notHere },
  },
};
