/**
 * An AI voice agent's side of paytone's MCP server, driven through the SDK's own client: over Streamable HTTP with
 * Basic credentials, or over stdio through `npx paytone mcp` as a child process. Every tool result, error and
 * resource read it receives is kept in `seen` for the leak checks, and the scripted steps a model would take
 * (ask for a field, let the caller type it, wait until it ends) are here once for every test.
 *
 * @example
 *   const agent = await McpAgent.overHttp(pay.paytone.baseUrl, [ACCOUNT_SID, AUTH_TOKEN]);
 *   const done = await agent.payByCard(sandboxCaller(pay.paytone, callSid), { call_sid: callSid, action: 'charge', amount: '12.50' }, CARD);
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ACCOUNT_SID, type PaytoneProcess } from './paytone.js';
import { until } from './poll.js';

/** The checkout, where `npx paytone` finds the package's own command. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ToolRefusal {
  code: number;
  message: string;
}

/** The caller's side: types on the sandbox keypad and waits until every key has reached the call. */
export type Caller = (digits: string) => Promise<void>;

export function sandboxCaller(paytone: Pick<PaytoneProcess, 'press' | 'get'>, callSid: string, accountSid = ACCOUNT_SID): Caller {
  return async (digits) => {
    await paytone.press(callSid, digits);
    const path = `/sandbox/Accounts/${accountSid}/Calls/${callSid}/Dtmf.json`;
    await until('the keypad to play every key', async () => (await paytone.get(path)).body.queued === 0);
  };
}

export class McpAgent {
  /** Every result, error and resource the agent received, as JSON. */
  readonly seen: string[] = [];

  constructor(readonly client: Client) {}

  static async overHttp(baseUrl: string, [username, password]: [string, string]): Promise<McpAgent> {
    const authorization = 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64');
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', baseUrl), { requestInit: { headers: { authorization } } });
    const client = new Client({ name: 'paytone-test-agent', version: '1.0.0' });
    await client.connect(transport);
    return new McpAgent(client);
  }

  /** `npx paytone mcp` as a child process, with the credentials in its environment; `stderr` collects what it printed. */
  static async overStdio(env: Record<string, string>, stderr: string[] = []): Promise<McpAgent> {
    const transport = new StdioClientTransport({
      command: 'npx',
      args: ['--no-install', 'paytone', 'mcp'],
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', npm_config_update_notifier: 'false', ...env },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const client = new Client({ name: 'paytone-test-agent', version: '1.0.0' });
    await client.connect(transport);
    return new McpAgent(client);
  }

  /** Calls a tool and returns its structured result; a tool error fails the test with its message. */
  async call(name: string, args: Record<string, unknown>): Promise<any> {
    const result = await this.client.callTool({ name, arguments: args });
    this.seen.push(JSON.stringify(result));
    assert.ok(!result.isError, `${name} failed: ${JSON.stringify(result.content)}`);
    return result.structuredContent;
  }

  /** Calls a tool that must refuse, and returns the Twilio code and message of its tool error. */
  async refused(name: string, args: Record<string, unknown>): Promise<ToolRefusal> {
    const result = await this.client.callTool({ name, arguments: args });
    this.seen.push(JSON.stringify(result));
    assert.equal(result.isError, true, `${name} should have been refused: ${JSON.stringify(result.content)}`);
    const error = (result.structuredContent as { error?: ToolRefusal } | undefined)?.error;
    assert.ok(error, `${name}'s error carries a code: ${JSON.stringify(result)}`);
    return error;
  }

  async resource(uri: string): Promise<any> {
    const read = await this.client.readResource({ uri });
    this.seen.push(JSON.stringify(read));
    return read;
  }

  /** Waits until the session has moved on from `state`, however many waits that takes; returns the new state. */
  async waitPast(state: any, until: (next: any) => boolean): Promise<any> {
    let current = state;
    for (let round = 0; round < 100 && !until(current); round++) {
      const waited = await this.call('wait_for_update', { payment_sid: current.payment_sid, after_event_count: current.event_count, timeout_seconds: 5 });
      current = waited.payment;
    }
    assert.ok(until(current), `the payment never got there: ${JSON.stringify(current)}`);
    return current;
  }

  /** Asks for a field (the next required one without `field`), lets the caller type `digits`, waits until it ends. */
  async take(caller: Caller, paymentSid: string, digits: string, field?: string): Promise<any> {
    const asked = await this.call('ask_caller', { payment_sid: paymentSid, ...(field ? { field } : {}) });
    assert.ok(asked.asking_for, `ask_caller is listening: ${JSON.stringify(asked)}`);
    await caller(digits);
    return this.waitPast(asked, (s) => s.asking_for === null);
  }

  /** Starts a payment, takes every required field from `entries` in order, completes and waits for the end. */
  async pay(caller: Caller, start: Record<string, unknown>, entries: readonly string[]): Promise<{ started: any; captured: any; ended: any }> {
    const started = await this.call('start_payment', start);
    let state = started;
    for (const digits of entries) {
      state = await this.take(caller, started.payment_sid, digits);
      assert.equal(state.last_error, null, `the field was accepted: ${JSON.stringify(state)}`);
    }
    assert.deepEqual(state.required, [], 'every required field is captured');
    const captured = state;
    const completing = await this.call('complete_payment', { payment_sid: started.payment_sid });
    const ended = await this.waitPast(completing, (s) => ['completed', 'failed', 'canceled'].includes(s.status));
    return { started, captured, ended };
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
