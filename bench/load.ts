/**
 * The load generator's tools: a keep-alive HTTP client (undici Pool, one connection per concurrent worker; for a
 * cluster one pool per process, requests spread round-robin),
 * a fixed-concurrency loop bounded in count and in time, and latency percentiles.
 *
 * undici rather than autocannon: the bench drives multi-step flows (call, session, captures, keypad, complete)
 * that wait on callbacks between requests, which a fixed-request blaster cannot express; the same client then
 * serves the single-request figures, so every figure pays the same generator cost.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

export const epochMs = (): number => performance.timeOrigin + performance.now();

export class Client {
  private readonly pools: Pool[];
  private readonly authorization: string;
  private turn = 0;

  /** With several `baseUrls` (a cluster's processes), each request goes to the next one in turn. */
  constructor(baseUrls: string | string[], connections: number, credentials: [string, string]) {
    this.pools = [baseUrls].flat().map((url) => new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 60_000 }));
    this.authorization = 'Basic ' + Buffer.from(credentials.join(':')).toString('base64');
  }

  /** POSTs a form; returns the status and the body text. */
  async post(path: string, form: Record<string, string>): Promise<{ status: number; body: string }> {
    const pool = this.pools[this.turn++ % this.pools.length]!;
    const response = await pool.request({
      method: 'POST',
      path,
      headers: { authorization: this.authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    return { status: response.statusCode, body: await response.body.text() };
  }

  /** POSTs and insists on `expected`, naming what came back otherwise. */
  async expect(expected: number, path: string, form: Record<string, string>): Promise<string> {
    const { status, body } = await this.post(path, form);
    if (status !== expected) throw new Error(`POST ${path} answered ${status}, not ${expected}: ${body.slice(0, 300)}`);
    return body;
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((pool) => pool.close()));
  }
}

export interface LoopResult {
  done: number;
  failed: number;
  firstError: string | null;
  seconds: number;
  /** Latency of each successful iteration, ms. */
  latencies: number[];
}

/**
 * Runs `iteration(i)` with `concurrency` workers until `count` iterations have started or `seconds` have
 * passed, whichever comes first; returns when the started ones have finished.
 */
export async function fixedConcurrency(
  options: { concurrency: number; count: number; seconds: number },
  iteration: (i: number) => Promise<number | void>,
): Promise<LoopResult> {
  const started = epochMs();
  const stopAt = started + options.seconds * 1000;
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  let firstError: string | null = null;
  const worker = async () => {
    while (next < options.count && epochMs() < stopAt) {
      const i = next++;
      const t0 = epochMs();
      try {
        const measured = await iteration(i);
        latencies.push(typeof measured === 'number' ? measured : epochMs() - t0);
      } catch (err) {
        failed += 1;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { done: latencies.length, failed, firstError, seconds: (epochMs() - started) / 1000, latencies };
}

/** The p-th percentile (0-100) by nearest rank; NaN for no samples. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
