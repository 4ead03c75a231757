/**
 * Prometheus metrics of one paytone process, in a registry of its own (no global state: two servers in one
 * test never share counters). Counters and histograms count what this process did; the gauges of sessions and
 * outbox are read from the database at scrape time, so any process of a cluster reports the whole picture.
 *
 * Labels are closed sets (route patterns, status codes, outcomes, connector types): never a sid, a URL, a
 * digit or anything a caller typed.
 *
 * @example
 *   const metrics = new PaytoneMetrics({ sources: { sessionsByStatus, outboxBacklog } });
 *   metrics.request('POST', '/2010-04-01/Accounts/:AccountSid/Calls.json', 201, 0.012);
 *   const text = await metrics.registry.metrics();   // the exposition format, for GET /metrics
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AttemptedCallback } from '../callbacks/outbox.js';

export interface MetricsSources {
  sessionsByStatus(): Promise<Array<{ status: string; count: number }>>;
  outboxBacklog(): Promise<{ pending: number; oldestAt: number | null }>;
  /** A cluster's PostgreSQL traffic so far (store/databaseTraffic.ts); absent on the embedded database. */
  databaseTraffic?(): { roundTrips: number; statements: number };
}

/** What became of one callback attempt: delivered, to be tried again, or given up. */
export type CallbackAttemptOutcome = 'delivered' | 'retry' | 'failed';

/** A gateway call: approved, refused (a decline or a gateway error answer), or no usable answer at all. */
export type GatewayCallOutcome = 'approved' | 'declined' | 'error';

export interface MetricsOptions {
  sources: MetricsSources;
  now?: () => number;
  /** Told when a scrape-time query fails; the scrape still answers, without those gauges' values. */
  onSourceError?: (error: unknown) => void;
}

const SESSION_STATUSES = ['in-progress', 'awaiting-confirmation', 'completing', 'completed', 'failed', 'canceled'];

export class PaytoneMetrics {
  readonly registry = new Registry();
  private readonly httpRequests: Counter<'method' | 'route' | 'status_code'>;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly callbackDeliveries: Counter<'outcome'>;
  private readonly callbackRetries: Counter;
  private readonly gatewayDuration: Histogram<'connector_type' | 'outcome'>;
  private readonly dtmfToCallback: Histogram;

  constructor(options: MetricsOptions) {
    const { sources } = options;
    const now = options.now ?? Date.now;
    const registers = [this.registry];
    const guarded = async (collect: () => Promise<void>) => {
      try {
        await collect();
      } catch (error) {
        options.onSourceError?.(error);
      }
    };
    collectDefaultMetrics({ register: this.registry });

    this.httpRequests = new Counter({
      name: 'paytone_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'paytone_http_request_duration_seconds',
      help: 'Time from receiving a request to sending its answer, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    new Gauge({
      name: 'paytone_sessions',
      help: 'Pay sessions in the database, by status.',
      labelNames: ['status'],
      registers,
      async collect() {
        await guarded(async () => {
          const counts = await sources.sessionsByStatus();
          this.reset();
          for (const status of SESSION_STATUSES) this.set({ status }, 0);
          for (const { status, count } of counts) this.set({ status }, count);
        });
      },
    });
    // The two outbox gauges are collected together (prom-client asks every metric at once): one query serves both.
    let backlogQuery: ReturnType<MetricsSources['outboxBacklog']> | null = null;
    const backlog = () => (backlogQuery ??= sources.outboxBacklog().finally(() => (backlogQuery = null)));
    new Gauge({
      name: 'paytone_outbox_depth',
      help: 'Status callbacks waiting in the outbox (due now or waiting for a retry).',
      registers,
      async collect() {
        await guarded(async () => this.set((await backlog()).pending));
      },
    });
    new Gauge({
      name: 'paytone_outbox_oldest_pending_seconds',
      help: 'Age of the oldest status callback still waiting in the outbox; 0 when it is empty.',
      registers,
      async collect() {
        await guarded(async () => {
          const { oldestAt } = await backlog();
          this.set(oldestAt === null ? 0 : Math.max(0, (now() - oldestAt) / 1000));
        });
      },
    });
    const traffic = sources.databaseTraffic;
    if (traffic) {
      new Counter({
        name: 'paytone_database_round_trips_total',
        help: 'Queries this process sent to PostgreSQL and waited for (cluster mode).',
        registers,
        collect() {
          this.reset();
          this.inc(traffic().roundTrips);
        },
      });
      new Counter({
        name: 'paytone_database_statements_total',
        help: 'SQL statements this process sent to PostgreSQL; one round trip may carry several (cluster mode).',
        registers,
        collect() {
          this.reset();
          this.inc(traffic().statements);
        },
      });
    }
    this.callbackDeliveries = new Counter({
      name: 'paytone_callback_deliveries_total',
      help: 'Status callback attempts by outcome: delivered (2xx), retry (will be sent again), failed (given up).',
      labelNames: ['outcome'],
      registers,
    });
    this.callbackRetries = new Counter({
      name: 'paytone_callback_retries_total',
      help: 'Status callback attempts that were not the first attempt of their callback.',
      registers,
    });
    this.gatewayDuration = new Histogram({
      name: 'paytone_gateway_request_duration_seconds',
      help: 'Payment gateway calls by connector type and outcome (approved, declined, error), and how long each took.',
      labelNames: ['connector_type', 'outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60],
      registers,
    });
    this.dtmfToCallback = new Histogram({
      name: 'paytone_dtmf_to_callback_seconds',
      help: 'From a keypress being applied to a session to its capture callback (PartialResult) being delivered.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
  }

  /** One answered HTTP request; `route` is the route pattern (`:CallSid`, never a sid) or `unmatched`. */
  request(method: string, route: string, statusCode: number, seconds: number): void {
    const labels = { method, route, status_code: String(statusCode) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }

  /**
   * One status callback attempt, as the outbox recorded it. A delivered capture callback (one per keypress,
   * `PartialResult` true or false) also measures the time since its keypress was applied.
   */
  callbackAttempted(callback: AttemptedCallback, finishedAt: number): void {
    const outcome: CallbackAttemptOutcome =
      callback.deliveryStatus === 'delivered' ? 'delivered' : callback.deliveryStatus === 'pending' ? 'retry' : 'failed';
    this.callbackDeliveries.inc({ outcome });
    if (callback.attempts > 1) this.callbackRetries.inc();
    if (outcome === 'delivered' && callback.kind === 'capture' && callback.params?.PartialResult !== undefined) {
      this.dtmfToCallback.observe(Math.max(0, finishedAt - callback.at) / 1000);
    }
  }

  gatewayCall(connectorType: string, outcome: GatewayCallOutcome, seconds: number): void {
    this.gatewayDuration.observe({ connector_type: connectorType, outcome }, seconds);
  }
}
