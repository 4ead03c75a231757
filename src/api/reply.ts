/** Writes JSON the way Twilio does: a body string with an explicit charset. */
import type { FastifyReply } from 'fastify';

export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send(typeof body === 'string' ? body : JSON.stringify(body));
}
