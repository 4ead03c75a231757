/**
 * Our `PayConnectors` resource: an account's payment connectors, under the same Basic auth as the Twilio
 * routes. Form posts in, snake_case JSON out; secrets are write-only.
 *
 *   POST   /v1/Accounts/{AccountSid}/PayConnectors.json                create (201)
 *   GET    /v1/Accounts/{AccountSid}/PayConnectors.json                list
 *   GET    /v1/Accounts/{AccountSid}/PayConnectors/{UniqueName}.json   fetch
 *   POST   /v1/Accounts/{AccountSid}/PayConnectors/{UniqueName}.json   update (given parameters only)
 *   DELETE /v1/Accounts/{AccountSid}/PayConnectors/{UniqueName}.json   delete (204)
 */
import type { FastifyInstance } from 'fastify';
import type { FormValues } from '../../domain/form.js';
import type { AppContext } from '../../app/context.js';
import { sendJson } from '../reply.js';

interface ConnectorParams {
  AccountSid: string;
  UniqueName: string;
}

export function payConnectorRoutes(server: FastifyInstance, app: AppContext): void {
  const base = '/v1/Accounts/:AccountSid/PayConnectors';

  server.post<{ Params: ConnectorParams; Body: FormValues }>(`${base}.json`, async (request, reply) =>
    sendJson(reply, 201, await app.connectors.create(request.params.AccountSid, request.body ?? {})),
  );

  server.get<{ Params: ConnectorParams }>(`${base}.json`, async (request, reply) => {
    const { AccountSid } = request.params;
    const connectors = await app.connectors.list(AccountSid);
    return sendJson(reply, 200, { pay_connectors: connectors, meta: { key: 'pay_connectors', url: `/v1/Accounts/${AccountSid}/PayConnectors.json` } });
  });

  server.get<{ Params: ConnectorParams }>(`${base}/:UniqueName.json`, async (request, reply) =>
    sendJson(reply, 200, await app.connectors.fetch(request.params.AccountSid, request.params.UniqueName)),
  );

  server.post<{ Params: ConnectorParams; Body: FormValues }>(`${base}/:UniqueName.json`, async (request, reply) =>
    sendJson(reply, 200, await app.connectors.update(request.params.AccountSid, request.params.UniqueName, request.body ?? {})),
  );

  server.delete<{ Params: ConnectorParams }>(`${base}/:UniqueName.json`, async (request, reply) => {
    await app.connectors.remove(request.params.AccountSid, request.params.UniqueName);
    return reply.code(204).send();
  });
}
