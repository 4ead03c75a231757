/**
 * What every MCP tool call goes through: it runs as the account whose credentials made the request, it is written
 * to the audit trail with that credential (action `mcp.<tool>`, method POST, path /mcp) and made durable before
 * the answer goes out, and a refusal becomes an MCP tool error (`isError`) that carries Twilio's error code and a
 * message saying what to do. Anything unexpected is logged (its message, never the arguments) and answered as
 * 20500; a tool never throws into the SDK and never leaves a request hanging.
 *
 * The runner answers `tools/list` and `tools/call` itself rather than through the SDK's `registerTool`: the SDK
 * refuses arguments outside a tool's schema before any code of ours runs, with no error code and no audit entry,
 * and arguments outside the schema are just what a model talked into passing a card number would send. Here they
 * are a 64020 that names the argument (never its value), written to the audit trail like every other call.
 *
 * @example
 *   tools.register('get_payment', { title, description, input: z.object({ payment_sid: paymentSid }).strict() },
 *     async ({ payment_sid }) => ({ result: await state(payment_sid), paymentSid: payment_sid }));
 *   tools.serve(mcp);
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool, type ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { AppContext } from '../app/context.js';
import type { Principal } from '../app/credentials.js';
import { auditedToolArguments } from '../domain/audit.js';
import { PaytoneError, payError } from '../domain/errors.js';
import { maskDigitRuns } from '../domain/form.js';
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

interface RegisteredTool {
  listed: Tool;
  input: z.ZodObject;
  run: (args: Record<string, unknown>, signal: AbortSignal) => Promise<ToolOutcome>;
}

/** What the audit keeps of arguments a tool does not take: that they were given, never their value. */
const NOT_AN_ARGUMENT = '[not an argument]';

/**
 * Why `args` do not fit the tool's schema, in words for the model: the argument's name and what it must be, never
 * the value given (which may be a card number the model was talked into passing).
 */
function argumentRefusal(name: string, tool: RegisteredTool, issues: readonly z.core.$ZodIssue[]): PaytoneError {
  const declared = Object.keys(tool.input.shape);
  const problems = issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const names = issue.keys.map((key) => JSON.stringify(key.slice(0, 64))).join(', ');
      return `${names} ${issue.keys.length > 1 ? 'are not arguments' : 'is not an argument'} of ${name} (no tool takes a card number, security code or account number: the caller types them on the keypad)`;
    }
    return `${issue.path.join('.') || 'the arguments'}: ${issue.message}`;
  });
  return payError(64020, maskDigitRuns(`${problems.join('; ')}. ${name} takes ${declared.join(', ')}.`));
}

/** Registers tools that run as one caller of one account, and serves them on an MCP server. */
export class ToolRunner {
  readonly #tools = new Map<string, RegisteredTool>();

  constructor(
    readonly app: AppContext,
    readonly caller: McpCaller,
  ) {}

  get accountSid(): string {
    return this.caller.principal.accountSid;
  }

  register<S extends z.ZodObject>(name: string, definition: ToolDefinition<S>, run: (args: z.infer<S>, signal: AbortSignal) => Promise<ToolOutcome>): void {
    const inputSchema = z.toJSONSchema(definition.input, { target: 'draft-7', io: 'input' }) as Tool['inputSchema'];
    this.#tools.set(name, {
      listed: { name, title: definition.title, description: definition.description, inputSchema, annotations: definition.annotations },
      input: definition.input,
      run: run as RegisteredTool['run'],
    });
  }

  /** Answers `tools/list` and `tools/call` on `mcp` with the registered tools. */
  serve(mcp: McpServer): void {
    mcp.server.registerCapabilities({ tools: {} });
    mcp.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [...this.#tools.values()].map((tool) => tool.listed) }));
    mcp.server.setRequestHandler(CallToolRequestSchema, (request, extra) => this.#call(request.params.name, request.params.arguments ?? {}, extra.signal));
  }

  async #call(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<CallToolResult> {
    const tool = this.#tools.get(name);
    if (tool === undefined) {
      const refusal = payError(64020, maskDigitRuns(`There is no tool named ${JSON.stringify(name.slice(0, 64))}; the tools are ${[...this.#tools.keys()].join(', ')}.`));
      await this.#audit('unknown-tool', {}, null, refusal);
      return toolError(refusal);
    }
    const parsed = tool.input.safeParse(args);
    if (!parsed.success) {
      const shape = tool.input.shape as Record<string, unknown>;
      const given = Object.fromEntries(Object.entries(args).map(([key, value]) => [key, Object.hasOwn(shape, key) ? value : NOT_AN_ARGUMENT]));
      const refusal = argumentRefusal(name, tool, parsed.error.issues);
      await this.#audit(name, given, null, refusal);
      return toolError(refusal);
    }
    let outcome: ToolOutcome | null = null;
    let failure: PaytoneError | null = null;
    try {
      outcome = await tool.run(parsed.data, signal);
    } catch (err) {
      if (err instanceof PaytoneError) failure = err;
      else {
        this.app.log.error({ tool: name, error: err instanceof Error ? err.message : String(err) }, 'mcp tool failed');
        failure = payError(20500, 'paytone could not complete the tool call; it has been logged. Try again.');
      }
    }
    await this.#audit(name, parsed.data as Record<string, unknown>, outcome, failure);
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
