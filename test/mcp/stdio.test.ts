/**
 * The MCP server over stdio: `npx paytone mcp` as a child process, started by the SDK's own stdio client with the
 * credentials in its environment, relaying to a running paytone. The whole payments of the HTTP test run through
 * it (one relay with the account's token, one with an API key); credentials that are refused or missing end in a
 * clear error, never a hang; and nothing the relays printed or answered holds a card number.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { ACCOUNT_SID, AUTH_TOKEN } from '../support/paytone.js';
import { createApiKey } from '../support/apiKey.js';
import { McpAgent } from '../support/mcpAgent.js';
import { runNode } from '../support/run.js';
import { openPaytone, type PaytoneUnderTest } from '../e2e/flows.js';
import { assertNoCardData } from './testData.js';
import { describePayments } from './scenarios.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

let pay: PaytoneUnderTest;
let agent: McpAgent;
let keyAgent: McpAgent;
let keySid = '';
const relayOutput: string[] = [];

before(async () => {
  pay = await openPaytone();
  const url = pay.paytone.baseUrl;
  agent = await McpAgent.overStdio({ PAYTONE_URL: url, PAYTONE_ACCOUNT_SID: ACCOUNT_SID, PAYTONE_AUTH_TOKEN: AUTH_TOKEN }, relayOutput);
  const [sid, secret] = await createApiKey(pay.paytone);
  keySid = sid;
  keyAgent = await McpAgent.overStdio({ PAYTONE_URL: url, PAYTONE_API_KEY: sid, PAYTONE_API_SECRET: secret }, relayOutput);
});

after(async () => {
  await agent?.close();
  await keyAgent?.close();
  await pay?.close();
});

describePayments('whole payments through `npx paytone mcp` over stdio', () => ({ pay, agent, keyAgent, keySid }));

describe('the stdio relay', () => {
  it('lists the same tools as the HTTP server', async () => {
    const { tools } = await agent.client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['cancel_payment', 'complete_payment', 'find_call', 'get_payment', 'ask_caller', 'start_payment', 'wait_for_update'].sort());
  });

  it('refused credentials end the connection with the 401, not a hang', async () => {
    const stderr: string[] = [];
    await assert.rejects(McpAgent.overStdio({ PAYTONE_URL: pay.paytone.baseUrl, PAYTONE_ACCOUNT_SID: ACCOUNT_SID, PAYTONE_AUTH_TOKEN: 'f'.repeat(32) }, stderr), /401|20003/);
  });

  it('a paytone that cannot be reached is a JSON-RPC error naming its address, not a hang', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const stderr: string[] = [];
    const url = `http://127.0.0.1:${closed}`;
    await assert.rejects(McpAgent.overStdio({ PAYTONE_URL: url, PAYTONE_ACCOUNT_SID: ACCOUNT_SID, PAYTONE_AUTH_TOKEN: AUTH_TOKEN }, stderr), new RegExp(`paytone at ${url} could not be reached`));
    assert.match(stderr.join(''), new RegExp(`paytone mcp: ${url} did not take a message`));
  });

  it('without credentials the command says which variables to set', async () => {
    const run = await runNode(CLI, ['mcp'], { PAYTONE_URL: pay.paytone.baseUrl });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /PAYTONE_API_KEY and PAYTONE_API_SECRET, or PAYTONE_ACCOUNT_SID and PAYTONE_AUTH_TOKEN/);
    assert.equal(run.stdout, '', 'nothing but protocol on stdout');
  });

  it('left nothing of the cards in what the agents saw, the relays printed or the server logged', () => {
    assertNoCardData([
      ...[...agent.seen, ...keyAgent.seen].map((text, i) => [`result ${i}`, text] as [string, string]),
      ['what the relays printed', relayOutput.join('') || '(nothing)'],
      ['the server log', pay.paytone.output()],
    ]);
  });
});
