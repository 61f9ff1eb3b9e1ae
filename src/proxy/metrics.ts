import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { KNOWN_METHODS, type SipRequest, type SipResponse } from '../message/index.js';
import type { ServerTransaction, TransactionLayer } from '../transaction/index.js';
import { systemClock, type Clock } from '../util/clock.js';

/** What the metrics read from a proxy: its transactions, and its counters. */
export interface MetricsSource {
  readonly transactions: TransactionLayer;
  readonly stats: { readonly rateLimited: number };
}

export interface ProxyMetricsOptions {
  /** Prefix of every metric name (default `switchboard_proxy_`). */
  prefix?: string;
  /** Histogram buckets for processing time, seconds. */
  buckets?: number[];
  clock?: Clock;
  /**
   * Requests a shared rate limit (Redis) could not decide, decided by the process's own buckets
   * instead (fail-open): exported as `rate_limit_fallback_total` when given.
   */
  rateLimitFallbacks?: () => number;
}

/** `1xx` … `6xx` (anything else `other`, as a peer may send any three digits). */
function statusClass(status: number): string {
  return status >= 100 && status < 700 ? `${Math.floor(status / 100)}xx` : 'other';
}

/** Methods a peer can invent are folded into `other`, so a label cannot grow without bound. */
const KNOWN: ReadonlySet<string> = new Set(KNOWN_METHODS);
const method = (m: string): string => (KNOWN.has(m) ? m : 'other');

/**
 * Prometheus metrics of one proxy, in a registry of its own (several proxies in one process do
 * not mix): requests and responses by method and status class, transactions and REGISTERs in
 * progress, rate-limited requests, and how long the proxy took to give each request its final
 * response.
 */
export class ProxyMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method'>;
  private readonly responses: Counter<'method' | 'class'>;
  private readonly transactions: Gauge;
  private readonly registrations: Gauge;
  private readonly processing: Histogram<'method'>;
  private readonly clock: Clock;

  constructor(source: MetricsSource, opts: ProxyMetricsOptions = {}) {
    const p = opts.prefix ?? 'switchboard_proxy_';
    const registers = [this.registry];
    this.clock = opts.clock ?? systemClock;
    this.requests = new Counter({
      name: `${p}requests_total`,
      help: 'SIP requests received, by method',
      labelNames: ['method'],
      registers,
    });
    this.responses = new Counter({
      name: `${p}responses_total`,
      help: 'SIP responses sent upstream for requests received, by method and status class',
      labelNames: ['method', 'class'],
      registers,
    });
    this.transactions = new Gauge({
      name: `${p}transactions_in_progress`,
      help: 'server transactions waiting for their final response',
      registers,
    });
    this.registrations = new Gauge({
      name: `${p}registrations_in_progress`,
      help: 'REGISTER transactions waiting for their final response',
      registers,
    });
    new Counter({
      name: `${p}rate_limited_total`,
      help: 'requests refused by the rate limit',
      registers,
      collect() {
        // the proxy counts; the scrape reads its count
        this.reset();
        this.inc(source.stats.rateLimited);
      },
    });
    const fallbacks = opts.rateLimitFallbacks;
    if (fallbacks)
      new Counter({
        name: `${p}rate_limit_fallback_total`,
        help: 'requests the per-process rate limit decided because the shared store did not answer (fail-open)',
        registers,
        collect() {
          this.reset();
          this.inc(fallbacks());
        },
      });
    this.processing = new Histogram({
      name: `${p}processing_seconds`,
      help: 'time from a request arriving to its final response leaving, by method',
      labelNames: ['method'],
      buckets: opts.buckets ?? [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 32],
      registers,
    });
    source.transactions.on('request', (tx: ServerTransaction) => this.onRequest(tx));
    source.transactions.on('ack', (ack: SipRequest) => this.requests.inc({ method: method(ack.method) }));
  }

  private onRequest(tx: ServerTransaction): void {
    const m = method(tx.request.method);
    const started = this.clock.now();
    this.requests.inc({ method: m });
    this.transactions.inc();
    const register = m === 'REGISTER';
    if (register) this.registrations.inc();
    let open = true;
    const close = () => {
      if (!open) return;
      open = false;
      this.transactions.dec();
      if (register) this.registrations.dec();
    };
    const onResponse = (res: SipResponse) => {
      this.responses.inc({ method: m, class: statusClass(res.status) });
      if (res.status >= 200 && open) {
        this.processing.observe({ method: m }, (this.clock.now() - started) / 1000);
        close();
      }
    };
    tx.on('response', onResponse);
    // a transaction that ends without a final response (transport failure) is no longer in progress
    tx.once('terminated', () => {
      close();
      tx.off('response', onResponse);
    });
  }

  /** The text exposition of every metric (what GET /metrics returns). */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

export interface MetricsServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** `GET /metrics` on HOST:PORT (port 0: any free one); anything else 404, other methods 405. */
export async function serveMetrics(registry: Registry, host: string, port: number): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(req.method === 'HEAD' ? '' : text),
      (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics: ${e.message}\n`),
    );
  });
  // a scraper is a peer too: bounded time for its request
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.maxHeadersCount = 50;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined);
  const a = server.address() as AddressInfo;
  return {
    host: a.address,
    port: a.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
