/**
 * paytone's MCP server: the tools, resource and prompt an AI voice agent uses to take a payment on a call, built on
 * the official `@modelcontextprotocol/sdk`. One server is made per request (the HTTP transport runs stateless), for
 * the one account whose credentials the request carried: every tool sees only that account's calls and sessions.
 *
 * @example
 *   const mcp = createMcpServer(app, { principal, sourceIp: request.ip, userAgent: null, origin: 'http://127.0.0.1:8080' });
 *   await mcp.connect(transport);
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AppContext } from '../app/context.js';
import { ToolRunner, type McpCaller } from './toolCall.js';
import { registerCallTools } from './callTools.js';
import { registerPaymentTools } from './paymentTools.js';
import { registerProgressTools } from './progressTools.js';
import { registerPrompts, SAFE_WORKFLOW } from './prompts.js';

export const MCP_SERVER_NAME = 'paytone';
export const MCP_SERVER_VERSION = '0.1.0';

export function createMcpServer(app: AppContext, caller: McpCaller): McpServer {
  const mcp = new McpServer({ name: MCP_SERVER_NAME, version: MCP_SERVER_VERSION }, { instructions: SAFE_WORKFLOW });
  const tools = new ToolRunner(app, caller);
  registerCallTools(tools);
  registerPaymentTools(tools);
  registerProgressTools(mcp, tools);
  tools.serve(mcp);
  registerPrompts(mcp);
  return mcp;
}
