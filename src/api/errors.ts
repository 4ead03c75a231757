/**
 * One handler writes every error as Twilio's envelope `{code, message, more_info, status}`: PaytoneErrors as
 * raised, framework errors (bad body, too large, wrong media type) mapped to registry codes, anything else a
 * logged 500 that tells the client nothing internal.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { PaytoneError, payError } from '../domain/errors.js';
import { maskDigitRuns } from '../domain/form.js';
import type { Logger } from '../log.js';

export function sendError(reply: FastifyReply, error: PaytoneError): FastifyReply {
  return reply.code(error.status).type('application/json; charset=utf-8').send(JSON.stringify(error.toEnvelope()));
}

function fromFramework(error: FastifyError): PaytoneError | null {
  switch (error.statusCode) {
    case 413:
      return payError(20413, 'The request body is too large; Payments and Calls requests are small form posts.');
    case 415:
      return payError(20415, 'Send the parameters as application/x-www-form-urlencoded, as the Twilio clients do.');
    case 400:
      return payError(20001, 'The request body could not be read as application/x-www-form-urlencoded.');
    default:
      return null;
  }
}

export function installErrorHandling(server: FastifyInstance, log: Logger): void {
  server.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof PaytoneError) return sendError(reply, error);
    const mapped = fromFramework(error);
    if (mapped) return sendError(reply, mapped);
    log.error({ err: { message: error.message, stack: error.stack }, route: request.routeOptions.url }, 'unhandled error');
    return sendError(reply, payError(20500, 'paytone could not complete the request; it has been logged. Try again.'));
  });
  server.setNotFoundHandler((request, reply) => {
    sendError(reply, payError(20404, `The requested resource ${shownPath(request.url.split('?')[0] ?? '')} was not found`));
  });
}

/**
 * A path as an error may quote it: decoded, long digit runs masked (a card number typed into a URL by mistake), cut.
 *
 * @example
 *   shownPath('/' + cardNumber) // '/' and twelve '*' before the card's last four digits
 */
export function shownPath(path: string): string {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // not valid percent-encoding: shown as sent
  }
  return maskDigitRuns(decoded).slice(0, 200);
}
