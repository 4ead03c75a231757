/**
 * The ceiling reference: the least a Node HTTP server can do for a form POST on this machine. It reads the
 * body, parses it as a form (as any real handler must) and answers a fixed JSON body the size of a Payments
 * create response. Run as its own process so its CPU is counted apart from the load generator's.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const BODY = JSON.stringify({
  account_sid: 'AC' + '0'.repeat(32),
  call_sid: 'CA' + '0'.repeat(32),
  date_created: 'Sat, 21 Nov 2026 20:00:00 +0000',
  date_updated: 'Sat, 21 Nov 2026 20:00:00 +0000',
  sid: 'PK' + '0'.repeat(32),
  uri: `/2010-04-01/Accounts/AC${'0'.repeat(32)}/Calls/CA${'0'.repeat(32)}/Payments/PK${'0'.repeat(32)}.json`,
});

const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(form.has('IdempotencyKey') ? 201 : 400, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(BODY) });
    res.end(BODY);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
