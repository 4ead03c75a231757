/**
 * `paytone mcp`: paytone's MCP server over stdio, for desktop agents and local tool runners that start their tools
 * as child processes. It holds no data and opens no database: it relays each JSON-RPC message between stdin/stdout
 * and the `/mcp` endpoint of a running paytone, with the credentials from its environment, so every rule, the
 * account scope and the audit trail are the server's own.
 *
 *   PAYTONE_URL            the running paytone (default http://127.0.0.1:8080)
 *   PAYTONE_API_KEY        an API key (SK...) and its PAYTONE_API_SECRET, or
 *   PAYTONE_ACCOUNT_SID    the account (AC...) and its PAYTONE_AUTH_TOKEN
 *
 * A request paytone cannot answer (it is down, the credentials are refused) is answered on stdout with a JSON-RPC
 * error naming what went wrong, so the agent is never left waiting; nothing but protocol goes to stdout.
 *
 * @example
 *   PAYTONE_URL=http://127.0.0.1:8080 PAYTONE_API_KEY=SK... PAYTONE_API_SECRET=... npx paytone mcp
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export const DEFAULT_PAYTONE_URL = 'http://127.0.0.1:8080';

export interface RelaySettings {
  url: URL;
  authorization: string;
}

/**
 * The relay's settings from the environment, or why they cannot be used.
 *
 * @example
 *   relaySettings({ PAYTONE_ACCOUNT_SID: 'AC...', PAYTONE_AUTH_TOKEN: '...' }) // { url: http://127.0.0.1:8080/mcp, authorization: 'Basic ...' }
 */
export function relaySettings(env: NodeJS.ProcessEnv): RelaySettings | { problem: string } {
  const base = env.PAYTONE_URL || DEFAULT_PAYTONE_URL;
  if (!URL.canParse(base) || !/^https?:$/.test(new URL(base).protocol)) return { problem: `PAYTONE_URL must be an http(s) URL such as ${DEFAULT_PAYTONE_URL}` };
  const [username, password] = env.PAYTONE_API_KEY
    ? [env.PAYTONE_API_KEY, env.PAYTONE_API_SECRET]
    : [env.PAYTONE_ACCOUNT_SID, env.PAYTONE_AUTH_TOKEN];
  if (!username || !password) {
    return { problem: 'set PAYTONE_API_KEY and PAYTONE_API_SECRET, or PAYTONE_ACCOUNT_SID and PAYTONE_AUTH_TOKEN, to the credentials the REST API takes' };
  }
  return { url: new URL('/mcp', base), authorization: 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64') };
}

const isRequest = (message: JSONRPCMessage): message is JSONRPCMessage & { id: string | number; method: string } => 'method' in message && 'id' in message;

/** Relays until stdin ends; resolves then. */
export async function relayMcp(settings: RelaySettings, err: (text: string) => void): Promise<void> {
  const local = new StdioServerTransport();
  const remote = new StreamableHTTPClientTransport(settings.url, { requestInit: { headers: { authorization: settings.authorization } } });
  const failed = (message: JSONRPCMessage, error: unknown) => {
    const why = error instanceof Error ? error.message : String(error);
    err(`paytone mcp: ${settings.url.origin} did not take a message: ${why}`);
    if (isRequest(message)) {
      void local.send({ jsonrpc: '2.0', id: message.id, error: { code: -32000, message: `paytone at ${settings.url.origin} could not be reached or refused the request: ${why}` } });
    }
  };
  remote.onmessage = (message) => {
    // Later requests carry the protocol version the server chose, as the SDK's own client does.
    const version = (message as { result?: { protocolVersion?: unknown } }).result?.protocolVersion;
    if (typeof version === 'string') remote.setProtocolVersion(version);
    void local.send(message);
  };
  remote.onerror = (error) => err(`paytone mcp: ${error.message}`);
  local.onmessage = (message) => {
    remote.send(message).catch((error: unknown) => failed(message, error));
  };
  await remote.start();
  const ended = new Promise<void>((resolve) => {
    local.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await local.start();
  await ended;
  await remote.close();
  await local.close();
}
