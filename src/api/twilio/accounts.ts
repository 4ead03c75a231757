/**
 * Twilio's Account fetch (`GET /2010-04-01/Accounts/{AccountSid}.json`), which apps call to check their
 * credentials. The auth token is write-only here: the field is present, as Twilio's shape requires, but null.
 */
import type { FastifyInstance } from 'fastify';
import { payError } from '../../domain/errors.js';
import { formatRfc2822 } from '../../domain/dates.js';
import type { AppContext } from '../../app/context.js';
import { sendJson } from '../reply.js';

const SUBRESOURCES = {
  available_phone_numbers: 'AvailablePhoneNumbers',
  calls: 'Calls',
  conferences: 'Conferences',
  incoming_phone_numbers: 'IncomingPhoneNumbers',
  notifications: 'Notifications',
  outgoing_caller_ids: 'OutgoingCallerIds',
  recordings: 'Recordings',
  transcriptions: 'Transcriptions',
  addresses: 'Addresses',
  signing_keys: 'SigningKeys',
  connect_apps: 'ConnectApps',
  sip: 'SIP',
  authorized_connect_apps: 'AuthorizedConnectApps',
  usage: 'Usage',
  keys: 'Keys',
  applications: 'Applications',
  short_codes: 'SMS/ShortCodes',
  queues: 'Queues',
  messages: 'Messages',
  balance: 'Balance',
} as const;

export function accountRoutes(server: FastifyInstance, app: AppContext): void {
  server.get<{ Params: { AccountSid: string } }>('/2010-04-01/Accounts/:AccountSid.json', async (request, reply) => {
    const account = await app.accounts.getAccount(request.params.AccountSid);
    if (!account) throw payError(20404, `Account ${request.params.AccountSid} was not found.`);
    const base = `/2010-04-01/Accounts/${account.sid}`;
    return sendJson(reply, 200, {
      auth_token: null,
      date_created: formatRfc2822(account.dateCreated),
      date_updated: formatRfc2822(account.dateUpdated),
      friendly_name: account.friendlyName,
      owner_account_sid: account.sid,
      sid: account.sid,
      status: account.status,
      subresource_uris: Object.fromEntries(Object.entries(SUBRESOURCES).map(([key, path]) => [key, `${base}/${path}.json`])),
      type: 'Full',
      uri: `${base}.json`,
    });
  });
}
