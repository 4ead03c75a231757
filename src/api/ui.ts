/**
 * The agent console (`/console`) and the sandbox caller's phone (`/phone`): static HTML, CSS and ES modules from
 * `src/ui/`, read once at start-up and served by paytone itself (no build step, nothing fetched from elsewhere).
 * The pages talk to the same HTTP API as any app, with the credentials typed at sign-in.
 *
 * Only the files found at start-up are served (no path from the URL reaches the file system), with a content
 * security policy that allows this origin alone and a referrer policy that keeps event-token URLs to themselves.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { payError } from '../domain/errors.js';
import { shownPath } from './errors.js';

/** From dist/src/api/ back to the package's src/ui/: tsc compiles TypeScript only, the UI files stay where they are. */
const UI_DIR = fileURLToPath(new URL('../../../src/ui/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

interface Asset {
  body: Buffer;
  type: string;
}

function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of fs.readdirSync(UI_DIR)) {
    const type = CONTENT_TYPES[path.extname(name)];
    if (type) assets.set(name, { body: fs.readFileSync(path.join(UI_DIR, name)), type });
  }
  return assets;
}

export function uiRoutes(server: FastifyInstance): void {
  const assets = loadAssets();
  const send = (reply: FastifyReply, name: string) => {
    const asset = assets.get(name);
    if (!asset) throw payError(20404, `The requested resource ${shownPath(`/ui/${name}`)} was not found`);
    return reply.code(200).headers(SECURITY_HEADERS).type(asset.type).send(asset.body);
  };
  server.get('/console', async (_request, reply) => send(reply, 'console.html'));
  server.get('/phone', async (_request, reply) => send(reply, 'phone.html'));
  server.get<{ Params: { file: string } }>('/ui/:file', async (request, reply) => send(reply, request.params.file));
}
