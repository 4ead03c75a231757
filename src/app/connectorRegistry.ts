/**
 * The payment connectors of every account: the `PayConnectors` resource (create, list, fetch, update,
 * delete), the connectors file loaded at start-up, and the lookup a session makes when it starts and when it
 * completes. The lookup always reads the database, so a connector changed by another process is seen at once.
 *
 * Every account has the built-in sandbox gateway as `Default`, unless it defines a connector of its own
 * under that name.
 *
 * @example
 *   const registry = new ConnectorRegistry({ store, ledger, sandboxSlowMs: 15000, gatewayTimeoutMs: 10000, log });
 *   await registry.create(accountSid, { UniqueName: 'Acme', Type: 'generic', ... });
 *   const connector = await registry.find(accountSid, 'Acme');
 */
import { payError } from '../domain/errors.js';
import type { FormValues } from '../domain/form.js';
import { DEFAULT_CONNECTOR, TYPE_LIMITS, parseConnector, type ConnectorDefinition, type ConnectorSecrets } from '../domain/connectorSettings.js';
import { connectorView } from '../domain/connectorView.js';
import { ANY_CALLBACK, urlPolicyRefusal, type CallbackPolicy } from '../domain/callbackPolicy.js';
import { refusal } from '../connectors/payErrorCodes.js';
import type { Connector, GatewayLedger } from '../connectors/connector.js';
import { GenericConnector } from '../connectors/genericConnector.js';
import { GATEWAY_RETRY, type GatewayRetryPolicy } from '../connectors/gatewayRetry.js';
import { SandboxGateway } from '../connectors/sandboxGateway.js';
import type { PayConnectorStore, StoredConnector } from '../store/payConnectors.js';
import type { Logger } from '../log.js';
import type { ConnectorDirectory } from './paymentSessions.js';
import { ConnectorsFileError, readConnectorsFile } from './connectorsFile.js';
import type { Agent } from 'undici';
import { undiciPackage } from '../ops/onFirstUse.js';
import { guardedLookup } from '../callbacks/addressGuard.js';

export interface ConnectorRegistryDeps {
  store: PayConnectorStore;
  ledger: GatewayLedger;
  sandboxSlowMs: number;
  /** How long one gateway attempt may take (Twilio's Generic Pay Connector: 10 s). */
  gatewayTimeoutMs: number;
  /**
   * Where connectors may send payments: the callback policy, since an endpoint URL comes from the same account
   * holders as a callback URL. Judged when a connector is created or changed, on every use, and for the connectors
   * file at start-up (an operator's internal gateway goes on PAYTONE_CALLBACK_ALLOW).
   */
  endpointPolicy?: CallbackPolicy;
  log: Logger;
}

const BUILT_IN_DEFAULT: ConnectorDefinition = {
  uniqueName: DEFAULT_CONNECTOR,
  type: 'sandbox',
  mode: 'test',
  endpointUrl: null,
  username: null,
  apiBase: null,
  capabilities: TYPE_LIMITS.sandbox,
};

export class ConnectorRegistry implements ConnectorDirectory {
  private readonly builtIn: SandboxGateway;
  private readonly shutdown = new AbortController();
  private readonly retry: GatewayRetryPolicy;
  /** Under a `public` endpoint policy, gateway connections refuse host names that resolve inside the network. */
  private readonly lookup: ReturnType<typeof guardedLookup> | undefined;
  private dispatcherMade: Agent | undefined;

  constructor(private readonly deps: ConnectorRegistryDeps) {
    this.builtIn = new SandboxGateway({ name: DEFAULT_CONNECTOR, ledger: deps.ledger, slowMs: deps.sandboxSlowMs });
    this.retry = { ...GATEWAY_RETRY, timeoutMs: deps.gatewayTimeoutMs };
    const policy = deps.endpointPolicy ?? ANY_CALLBACK;
    this.lookup = policy.mode === 'any' ? undefined : guardedLookup(policy);
  }

  private get dispatcher(): Agent | undefined {
    const lookup = this.lookup;
    return lookup ? (this.dispatcherMade ??= new (undiciPackage().Agent)({ connect: { lookup } })) : undefined;
  }

  async find(accountSid: string, uniqueName: string): Promise<Connector | null> {
    const stored = await this.deps.store.get(accountSid, uniqueName);
    if (stored) return this.build(stored.definition, stored.secrets);
    return uniqueName === DEFAULT_CONNECTOR ? this.builtIn : null;
  }

  async create(accountSid: string, form: FormValues): Promise<Record<string, unknown>> {
    const { definition, secrets } = parseConnector(form);
    this.checkEndpoints(definition);
    if (!(await this.deps.store.save(accountSid, definition, secrets, { mustBeNew: true }))) {
      throw payError(64020, `A connector named ${definition.uniqueName} already exists; change it with POST /v1/Accounts/${accountSid}/PayConnectors/${definition.uniqueName}.json, or delete it first.`);
    }
    return this.fetch(accountSid, definition.uniqueName);
  }

  async update(accountSid: string, uniqueName: string, form: FormValues): Promise<Record<string, unknown>> {
    const current = await this.stored(accountSid, uniqueName);
    const { definition, secrets } = parseConnector(form, current);
    this.checkEndpoints(definition);
    await this.deps.store.save(accountSid, definition, secrets);
    return this.fetch(accountSid, uniqueName);
  }

  async remove(accountSid: string, uniqueName: string): Promise<void> {
    await this.stored(accountSid, uniqueName);
    await this.deps.store.remove(accountSid, uniqueName);
  }

  async fetch(accountSid: string, uniqueName: string): Promise<Record<string, unknown>> {
    const stored = await this.deps.store.get(accountSid, uniqueName);
    if (stored) return connectorView(stored);
    if (uniqueName === DEFAULT_CONNECTOR) return connectorView(builtInDefault(accountSid));
    throw notFound(accountSid, uniqueName);
  }

  async list(accountSid: string): Promise<Record<string, unknown>[]> {
    const stored = await this.deps.store.list(accountSid);
    const all = stored.some((c) => c.definition.uniqueName === DEFAULT_CONNECTOR) ? stored : [builtInDefault(accountSid), ...stored];
    return all.map(connectorView);
  }

  /**
   * Upserts every connector of the file named by PAYTONE_CONNECTORS_FILE; the file is the truth for the
   * connectors it lists. Nothing is written unless the whole file is valid.
   */
  async loadFile(path: string, env: NodeJS.ProcessEnv): Promise<number> {
    const entries = readConnectorsFile(path, env);
    const refused = entries.flatMap(({ definition }) => {
      const why = this.unusable(definition);
      return why === null ? [] : [`${path}: ${definition.uniqueName}: ${why}`];
    });
    if (refused.length > 0) throw new ConnectorsFileError(refused.join('\n'));
    for (const { accountSid, definition, secrets } of entries) await this.deps.store.save(accountSid, definition, secrets);
    this.deps.log.info({ file: path, connectors: entries.length }, 'payment connectors loaded');
    return entries.length;
  }

  /** Stops gateway calls in flight without an answer: their sessions stay completing and resume on the next start. */
  close(): void {
    this.shutdown.abort();
    void this.dispatcherMade?.destroy();
  }

  private async stored(accountSid: string, uniqueName: string): Promise<{ definition: ConnectorDefinition; secrets: ConnectorSecrets }> {
    const stored = await this.deps.store.get(accountSid, uniqueName);
    if (stored) return stored;
    if (uniqueName === DEFAULT_CONNECTOR) {
      throw payError(64020, `Default is the built-in sandbox gateway and cannot be changed or deleted; create a connector with UniqueName=Default to use your own gateway instead.`);
    }
    throw notFound(accountSid, uniqueName);
  }

  private checkEndpoints(d: ConnectorDefinition): void {
    const refused = this.endpointRefusal(d);
    if (refused !== null) throw payError(64020, refused);
  }

  /** Why the policy in force refuses where `d` sends payments (its EndpointUrl or ApiBase), or null. */
  private endpointRefusal(d: ConnectorDefinition): string | null {
    const policy = this.deps.endpointPolicy ?? ANY_CALLBACK;
    if (d.endpointUrl !== null) return urlPolicyRefusal('EndpointUrl', d.endpointUrl, policy);
    return d.apiBase === null ? null : urlPolicyRefusal('ApiBase', d.apiBase, policy);
  }

  /** Why no session may use `d` under the policy in force, or null. */
  private unusable(d: ConnectorDefinition): string | null {
    const refused = this.endpointRefusal(d);
    return refused === null ? null : `PaymentConnector "${d.uniqueName}" cannot be used: its ${refused}`;
  }

  /**
   * A connector as the policy in force allows it to be used. A connector stored under a laxer policy (created with
   * `any`, then the server restarted with `public`) keeps its address: it is judged again on every use, literal IP
   * addresses included (the connection's DNS guard never sees those), and one the policy refuses sends nothing.
   */
  private build(d: ConnectorDefinition, secrets: ConnectorSecrets): Promise<Connector> | Connector {
    const why = this.unusable(d);
    return why === null ? this.reachable(d, secrets) : refusedConnector(d, why);
  }

  private reachable(d: ConnectorDefinition, secrets: ConnectorSecrets): Promise<Connector> | Connector {
    const common = { name: d.uniqueName, mode: d.mode, capabilities: d.capabilities, ledger: this.deps.ledger, signal: this.shutdown.signal, retry: this.retry };
    const onRetry = (attempt: number, reason: string) => this.deps.log.warn({ connector: d.uniqueName, type: d.type, attempt, reason }, 'gateway attempt got no answer; retrying');
    switch (d.type) {
      case 'sandbox':
        return new SandboxGateway({ name: d.uniqueName, ledger: this.deps.ledger, slowMs: this.deps.sandboxSlowMs, capabilities: d.capabilities });
      case 'generic':
        return new GenericConnector({ ...common, endpointUrl: d.endpointUrl ?? '', username: d.username ?? '', password: secrets.password ?? '', onRetry, ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}) });
      case 'stripe':
        // Stripe's package is a large one to load: a process that never pays through Stripe does not load it.
        return import('../connectors/stripeConnector.js').then(
          ({ StripeConnector }) => new StripeConnector({ ...common, apiKey: secrets.apiKey ?? '', apiBase: d.apiBase ?? '', onRetry, ...(this.lookup ? { lookup: this.lookup } : {}) }),
        );
    }
  }
}

/** A connector whose address the policy refuses: sessions cannot start with it, and one already started fails without sending. */
function refusedConnector(d: ConnectorDefinition, why: string): Connector {
  return { name: d.uniqueName, type: d.type, mode: d.mode, capabilities: d.capabilities, unusable: why, execute: async (request) => refusal(request, 'endpoint_refused', why) };
}

function builtInDefault(accountSid: string): StoredConnector & { builtIn: true } {
  return { accountSid, definition: BUILT_IN_DEFAULT, secrets: {}, dateCreated: 0, dateUpdated: 0, builtIn: true };
}

function notFound(accountSid: string, uniqueName: string) {
  return payError(20404, `No payment connector named ${uniqueName} in account ${accountSid}; list them with GET /v1/Accounts/${accountSid}/PayConnectors.json.`);
}
