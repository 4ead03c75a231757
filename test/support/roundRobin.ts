/**
 * A load balancer for tests, like an nginx `upstream` block with round-robin: each HTTP request goes to the next
 * paytone process, so the requests of one session are spread over all of them. A process that refuses the
 * connection (it was killed) is skipped, as nginx's `proxy_next_upstream error` does; a request cut off after it
 * was sent is not replayed (it may have been acted on) and answers 502.
 *
 * @example
 *   const balancer = await startRoundRobin(() => members.map((m) => m.port));
 *   fetch(`${balancer.url}/2010-04-01/...`);
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobin {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startRoundRobin(upstreams: () => number[]): Promise<RoundRobin> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let next = 0;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const ports = upstreams();
      const forward = (tries: number) => {
        const port = ports[next++ % ports.length]!;
        const upstream = http.request({ host: '127.0.0.1', port, method: request.method, path: request.url, headers: request.headers, agent }, (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        });
        upstream.on('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'ECONNREFUSED' && tries + 1 < ports.length) return forward(tries + 1);
          if (response.headersSent) return response.destroy();
          response.writeHead(502, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ code: 502, message: `upstream 127.0.0.1:${port} failed: ${err.code ?? err.message}`, status: 502 }));
        });
        upstream.end(body);
      };
      forward(0);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
