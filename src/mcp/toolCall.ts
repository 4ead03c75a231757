/**
 * What every MCP tool call goes through: it runs as the account whose credentials made the request, it is written
 * to the audit trail with that credential (action `mcp.<tool>`, method POST, path /mcp) and made durable before
 * the answer goes out, and a refusal becomes an MCP tool error (`isError`) that carries Twilio's error code and a
 * message saying what to do. Anything unexpected is logged (its message, never the arguments) and answered as
 * 20500; a tool never throws into the SDK and never leaves a request hanging.
 *
 * @example
 *   tools.register(mcp, 'get_payment', { title, description, input: z.object({ payment_sid: paymentSid }).strict() },
 *     async ({ payment_sid }) => ({ result: await state(payment_sid), paymentSid: payment_sid }));
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { AppContext } from '../app/context.js';
import type { Principal } from '../app/credentials.js';
import { auditedToolArguments } from '../domain/audit.js';
import { PaytoneError, payError } from '../domain/errors.js';
import { isSid } from '../domain/sids.js';

/** Who is calling: the proved credential and where the request came from. */
export interface McpCaller {
  principal: Principal;
  sourceIp: string;
  userAgent: string | null;
  /** This server's own origin as the client reached it, for the default StatusCallback. */
  origin: string;
}

/** What a tool returns: its structured result, and the call and session it touched (for the audit). */
export interface ToolOutcome {
  result: Record<string, unknown>;
  callSid?: string | null;
  paymentSid?: string | null;
}

export interface ToolDefinition<S extends z.ZodObject> {
  title: string;
  description: string;
  input: S;
  annotations?: ToolAnnotations;
}

const result = (structured: Record<string, unknown>, isError = false): CallToolResult => ({
  content: [{ type: 'text', text: JSON.stringify(structured) }],
  structuredContent: structured,
  ...(isError ? { isError: true } : {}),
});

/** An MCP tool error carrying a PaytoneError: the code, the message and where Twilio documents the code. */
export function toolError(error: PaytoneError): CallToolResult {
  const envelope = error.toEnvelope();
  return {
    content: [{ type: 'text', text: `Error ${envelope.code}: ${envelope.message}` }],
    structuredContent: { error: envelope },
    isError: true,
  };
}

const sidArgument = (args: Record<string, unknown>, name: string, prefix: 'CA' | 'PK'): string | null => {
  const value = args[name];
  return typeof value === 'string' && isSid(prefix, value) ? value : null;
};

/** Registers tools that run as one caller of one account. */
export class ToolRunner {
  constructor(
    readonly app: AppContext,
    readonly caller: McpCaller,
  ) {}

  get accountSid(): string {
    return this.caller.principal.accountSid;
  }

  register<S extends z.ZodObject>(mcp: McpServer, name: string, definition: ToolDefinition<S>, run: (args: z.infer<S>, signal: AbortSignal) => Promise<ToolOutcome>): void {
    const config = { title: definition.title, description: definition.description, inputSchema: definition.input, annotations: definition.annotations };
    const callback = async (args: z.infer<S>, extra: { signal: AbortSignal }): Promise<CallToolResult> => this.#call(name, args, () => run(args, extra.signal));
    (mcp.registerTool as (name: string, config: unknown, callback: unknown) => void)(name, config, callback);
  }

  async #call(name: string, args: Record<string, unknown>, run: () => Promise<ToolOutcome>): Promise<CallToolResult> {
    let outcome: ToolOutcome | null = null;
    let failure: PaytoneError | null = null;
    try {
      outcome = await run();
    } catch (err) {
      if (err instanceof PaytoneError) failure = err;
      else {
        this.app.log.error({ tool: name, error: err instanceof Error ? err.message : String(err) }, 'mcp tool failed');
        failure = payError(20500, 'paytone could not complete the tool call; it has been logged. Try again.');
      }
    }
    await this.#audit(name, args, outcome, failure);
    return failure ? toolError(failure) : result(outcome!.result);
  }

  async #audit(name: string, args: Record<string, unknown>, outcome: ToolOutcome | null, failure: PaytoneError | null): Promise<void> {
    const { principal, sourceIp, userAgent } = this.caller;
    const entry = {
      at: Date.now(),
      accountSid: principal.accountSid,
      credential: principal.credential,
      sourceIp,
      userAgent,
      action: `mcp.${name}`,
      method: 'POST',
      path: '/mcp',
      callSid: outcome?.callSid ?? sidArgument(args, 'call_sid', 'CA'),
      paymentSid: outcome?.paymentSid ?? sidArgument(args, 'payment_sid', 'PK'),
      statusCode: failure ? failure.status : 200,
      errorCode: failure ? failure.code : null,
      parameters: auditedToolArguments(args),
    };
    try {
      await this.app.auditLog.append(entry);
      this.app.log.info({ audit: entry }, 'audit');
    } catch (err) {
      this.app.log.error({ audit: entry, error: (err as Error).message }, 'audit entry not written');
    }
    // As for a REST change: whatever the agent is told happened is on disk first.
    await this.app.durable();
  }
}
