import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { SipTransport, type ListenOptions } from '../../transport/index.js';
import { Registrar, MemoryLocationStore, type LocationStore } from '../../registrar/index.js';
import { DigestServer, loadUsersFile, type NonceState } from '../../auth/index.js';
import { Proxy } from '../../proxy/proxy.js';
import { proxyEagerHeaders } from '../../proxy/eager-headers.js';
import { addProxyOpsOptions, proxyOpsOptions, type ProxyOpsFlags } from './proxy-ops.js';
import { ProxyMetrics, serveMetrics, type MetricsServer } from '../../proxy/metrics.js';
import { parseRedisUrl } from '../../util/redis.js';
import { redactUrl, sharedState } from './proxy-redis.js';
import { TraceRecorder, writeTraceFiles } from '../../trace/index.js';
import { collectListen, type SetStatus } from '../options.js';
import { LineWriter } from '../output.js';
import { taps, wireLogEnabled, wireLogger } from '../wire-log.js';
import { streamLimitOptions, streamLimits, type StreamLimitFlags } from './stream-limits.js';
import { answerStatsOverIpc } from '../ipc-stats.js';

export function registerProxy(program: Command, setStatus: SetStatus): void {
  addProxyOpsOptions(streamLimitOptions(program.command('proxy')))
    .description('run a stateful SIP proxy and registrar (RFC 3261 §16, §10) with digest authentication')
    .requiredOption('--listen <transport:host:port>', 'listen address (repeatable)', collectListen)
    .requiredOption('--domain <name>', 'a domain we serve (repeatable)', (v: string, p: string[] = []) => [...p, v])
    .option('--users <file>', 'users file: user:password, user:md5:<HA1> or user:sha256:<HA1> per line')
    .option('--realm <realm>', 'digest realm (default: the first domain)')
    .option('--record-route', 'stay in the path of dialogs (Record-Route)', false)
    .option(
      '--digest <algorithms>',
      'digest algorithms offered, in order (MD5 only for libre/baresip 1.0 clients)',
      (v) => {
        const list = v.split(',').map((x) => x.trim().toUpperCase());
        if (list.length === 0 || list.some((x) => x !== 'MD5' && x !== 'SHA-256'))
          throw new InvalidArgumentError('digest algorithms: a comma list of SHA-256 and MD5');
        return list as ('MD5' | 'SHA-256')[];
      },
    )
    .option(
      '--hostname <name>',
      'a name that means this proxy in Route headers (repeatable)',
      (v: string, p: string[] = []) => [...p, v],
    )
    .option('--tls-cert <file>', 'TLS certificate (PEM) for tls/wss listeners')
    .option('--tls-key <file>', 'TLS private key (PEM)')
    .option('--tls-ca <file>', 'trust this CA for outgoing TLS (development); verification stays on')
    .option('--trace <prefix>', 'write <prefix>.html/.pcap/.jsonl on exit')
    .option('--redis <url>', 'share bindings, nonces and limits with other proxies: redis://HOST:PORT', (v) => {
      try {
        parseRedisUrl(v);
      } catch (e) {
        throw new InvalidArgumentError((e as Error).message);
      }
      return v;
    })
    .option('--metrics <host:port>', 'serve Prometheus metrics at http://HOST:PORT/metrics', (v) => {
      const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(v);
      if (!m || Number(m[2]) > 65535) throw new InvalidArgumentError(`expected HOST:PORT, got "${v}"`);
      return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
    })
    .option('-v, --verbose', 'one line per transaction on stderr (DEBUG=switchboard adds every message)')
    .option('-q, --quiet', 'no per-request lines, even with --verbose (errors are still shown)')
    .action(
      async (
        opts: StreamLimitFlags & {
          listen: ListenOptions[];
          domain: string[];
          users?: string;
          realm?: string;
          recordRoute: boolean;
          digest?: ('MD5' | 'SHA-256')[];
          hostname?: string[];
          tlsCert?: string;
          tlsKey?: string;
          tlsCa?: string;
          trace?: string;
          verbose?: boolean;
          quiet?: boolean;
          redis?: string;
          metrics?: { host: string; port: number };
        } & ProxyOpsFlags,
      ) => {
        let users;
        let tls;
        let ca;
        try {
          users = opts.users ? loadUsersFile(opts.users) : undefined;
          if (opts.listen.some((l) => l.protocol === 'tls' || l.protocol === 'wss')) {
            if (!opts.tlsCert || !opts.tlsKey) throw new Error('tls/wss listeners need --tls-cert and --tls-key');
            tls = { cert: readFileSync(opts.tlsCert), key: readFileSync(opts.tlsKey) };
          }
          ca = opts.tlsCa ? readFileSync(opts.tlsCa, 'utf8') : undefined;
        } catch (e) {
          process.stderr.write(`error: ${(e as Error).message}\n`);
          setStatus(2);
          return;
        }
        const recorder = opts.trace ? new TraceRecorder() : undefined;
        const tap = taps(recorder?.tap('proxy'), wireLogEnabled() ? wireLogger('proxy') : undefined);
        const transport = new SipTransport({
          ...streamLimits(opts),
          // RFC 3261 §16.3 step 1: what the proxy does not act on is not parsed on arrival
          eagerHeaders: proxyEagerHeaders,
          ...(ca ? { tlsCa: ca } : {}),
          ...(tap ? { tap } : {}),
        });
        try {
          for (const l of opts.listen) {
            const a = await transport.listen({ ...l, ...(tls ? { tls } : {}) });
            process.stderr.write(`listening on ${l.protocol}:${a.host}:${a.port}\n`);
          }
        } catch (e) {
          process.stderr.write(`error: cannot listen: ${(e as Error).message}\n`);
          await transport.close();
          setStatus(1);
          return;
        }
        // --redis: one shared state for every proxy of the domain. Redis need not be up: the proxy
        // starts, answers 503 to what needs it, and serves as soon as it is back
        const shared = opts.redis
          ? sharedState(opts.redis, {
              users: users !== undefined,
              rateLimit: opts.rateLimit,
              log: (l) => process.stderr.write(l + '\n'),
            })
          : undefined;
        if (shared) process.stderr.write(`sharing state in Redis at ${redactUrl(opts.redis!)}\n`);
        const nonces: NonceState | undefined = shared?.nonces;
        const auth = users
          ? new DigestServer({
              ...(nonces ? { nonces } : {}),
              realm: opts.realm ?? opts.domain[0]!,
              users: (u) => users.get(u),
              ...(opts.digest ? { algorithms: opts.digest } : {}),
            })
          : undefined;
        const log = new LineWriter(process.stderr);
        // --log-format json: one object per transaction on stdout
        const records = new LineWriter(process.stdout);
        const store: LocationStore = shared?.store ?? new MemoryLocationStore();
        const registrar = new Registrar({ domains: opts.domain, store, ...(auth ? { auth } : {}) });
        const proxy = new Proxy({
          transport,
          domains: opts.domain,
          // the listening sockets mean us by host and port; --hostname adds aliases
          hostnames: opts.hostname ?? [],
          registrar,
          ...(auth ? { auth } : {}),
          recordRoute: opts.recordRoute,
          ...proxyOpsOptions(opts),
          ...(shared?.limiter ? { rateLimiter: shared.limiter } : {}),
          // per-request lines are batched (one write per event-loop turn), and off with --quiet
          ...(opts.verbose && !opts.quiet ? { log: (l: string) => log.write(l + '\n') } : {}),
          ...(opts.logFormat === 'json' ? { onTransaction: (r) => records.write(JSON.stringify(r) + '\n') } : {}),
        });
        transport.on('error', (e: Error) => process.stderr.write(`transport error: ${e.message}\n`));
        let metrics: MetricsServer | undefined;
        if (opts.metrics) {
          try {
            const pm = new ProxyMetrics(
              proxy,
              shared?.limiter ? { rateLimitFallbacks: shared.rateLimitFallbacks } : {},
            );
            metrics = await serveMetrics(pm.registry, opts.metrics.host, opts.metrics.port);
            process.stderr.write(`metrics on http://${opts.metrics.host}:${metrics.port}/metrics\n`);
          } catch (e) {
            process.stderr.write(`error: cannot serve metrics: ${(e as Error).message}\n`);
            proxy.close();
            shared?.close();
            await transport.close();
            setStatus(1);
            return;
          }
        }
        const stopStats = answerStatsOverIpc(() => ({
          transactions: proxy.transactions.size,
          pending: proxy.pending,
        }));
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        // graceful: no new transactions (503), open ones get their final responses within the bound
        process.stderr.write('stopping: no new transactions, finishing open ones\n');
        stopStats();
        await proxy.drain((opts.shutdownTimeout ?? 5) * 1000);
        proxy.close();
        store.close();
        await metrics?.close();
        shared?.close();
        await transport.close();
        if (recorder && opts.trace) await writeTraceFiles(recorder.entries, opts.trace);
        await log.end();
        await records.end();
        process.stderr.write('proxy stopped\n');
        setStatus(0);
      },
    );
}
