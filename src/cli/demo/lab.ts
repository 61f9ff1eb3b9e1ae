import { parseUri, type SipUri, type Uri } from '../../message/index.js';
import {
  SipTransport,
  createDevCertificates,
  resolveTargets,
  type Target,
  type TransportProtocol,
} from '../../transport/index.js';
import { Registrar, MemoryLocationStore } from '../../registrar/index.js';
import { DigestServer } from '../../auth/index.js';
import { Proxy } from '../../proxy/proxy.js';
import { UserAgent } from '../../ua/user-agent.js';
import { TraceRecorder } from '../../trace/index.js';
import { PortAllocator } from '../../media/ports.js';
import { rtpMediaFactory } from '../../media/rtp-media.js';
import { ToneSource } from '../../media/sources.js';
import { MediaProbes } from './media-probe.js';

/** Each phone plays its own tone, so a recording tells who was heard. */
export const TONES = { alice: 440, bob: 660, carol: 880 } as const;

export const DOMAINS = ['atlanta.example.com', 'biloxi.example.com', 'chicago.example.com'];
export const PROXY_HOST = 'ss1.example.com';
const USERS: Record<string, string> = { alice: 'wonderland-7', bob: 'builder-42', carol: 'christmas-3' };

export interface Lab {
  transport: TransportProtocol;
  proxy: Proxy;
  proxyTransport: SipTransport;
  phones: Record<'alice' | 'bob' | 'carol', UserAgent>;
  recorder: TraceRecorder;
  store: MemoryLocationStore;
  /** What each phone heard on each call. */
  probes: MediaProbes;
  /** RTP/RTCP port pairs of all three phones. */
  allocator: PortAllocator;
  aor: (name: string) => string;
  close(): Promise<void>;
}

/**
 * A proxy/registrar for three domains and three phones on loopback, all over one transport
 * (TLS with sips: by default: a development CA is generated and every hop verifies it), the
 * phones registered with digest authentication. Names resolve to the proxy's address.
 */
export async function startLab(
  transport: TransportProtocol = 'tls',
  opts: {
    verbose?: (s: string) => void;
    recordRoute?: boolean;
    extraUsers?: Record<string, string>;
    digestAlgorithms?: ('MD5' | 'SHA-256')[];
  } = {},
): Promise<Lab> {
  const secure = transport === 'tls' || transport === 'wss';
  const scheme = secure ? 'sips' : 'sip';
  const certs = secure ? await createDevCertificates(['127.0.0.1', 'localhost', PROXY_HOST, ...DOMAINS]) : undefined;
  const tls = certs ? { key: certs.key, cert: certs.cert } : undefined;
  const recorder = new TraceRecorder();
  const proxyTransport = new SipTransport({ ...(certs ? { tlsCa: certs.ca } : {}), tap: recorder.tap('proxy') });
  const pa = await proxyTransport.listen({ protocol: transport, host: '127.0.0.1', port: 0, ...(tls ? { tls } : {}) });
  const resolve = async (uri: Uri): Promise<Target[]> => {
    const host = uri.kind === 'sip' ? (uri as SipUri).hostname : '';
    if (host === PROXY_HOST || DOMAINS.includes(host))
      return [{ protocol: transport, host: '127.0.0.1', port: pa.port }];
    return resolveTargets(uri);
  };
  const users: Record<string, string> = { ...USERS, ...(opts.extraUsers ?? {}) };
  const auth = new DigestServer({
    realm: 'example.com',
    users: (u) => (users[u] ? { password: users[u] } : undefined),
    ...(opts.digestAlgorithms ? { algorithms: opts.digestAlgorithms } : {}),
  });
  const store = new MemoryLocationStore();
  const registrar = new Registrar({ domains: DOMAINS, store, auth });
  const proxy = new Proxy({
    transport: proxyTransport,
    domains: DOMAINS,
    hostnames: [PROXY_HOST, '127.0.0.1'],
    registrar,
    auth,
    recordRoute: opts.recordRoute ?? true,
    resolve,
    rateLimit: { perSecond: 200, burst: 400 },
    ...(opts.verbose ? { log: opts.verbose } : {}),
  });
  const tparam = transport === 'tcp' || transport === 'ws' ? `;transport=${transport}` : '';
  const outbound = parseUri(`${scheme}:${PROXY_HOST};lr${tparam}`);
  const aor = (name: string) => `${scheme}:${name}@${DOMAINS[['alice', 'bob', 'carol'].indexOf(name)]}`;
  const probes = new MediaProbes();
  const recordMedia = recorder.mediaTap('media');
  const allocator = new PortAllocator({ min: 20000, max: 29999 });
  const phone = async (name: 'alice' | 'bob' | 'carol', display: string) => {
    const ua = new UserAgent({
      // every leg plays a tone over RTP (SRTP on sips:) and listens with a probe
      mediaFactory: rtpMediaFactory({
        allocator,
        source: () => new ToneSource({ frequency: TONES[name], amplitude: 0.3 }),
        sink: probes.sinkFor(name),
        tap: (_ctx, d) => recordMedia(d),
      }),
      aor: `"${display}" <${aor(name)}>`,
      listen: [{ protocol: transport, host: '127.0.0.1', port: 0, ...(tls ? { tls } : {}) }],
      ...(certs ? { tlsCa: certs.ca } : {}),
      outboundProxy: outbound,
      registrar: `${scheme}:${DOMAINS[['alice', 'bob', 'carol'].indexOf(name)]}${tparam}`,
      credentials: { username: name, password: USERS[name]! },
      autoAnswer: 0,
      resolve,
      tap: recorder.tap(name),
    });
    await ua.start();
    return ua;
  };
  const phones = {
    alice: await phone('alice', 'Alice'),
    bob: await phone('bob', 'Bob'),
    carol: await phone('carol', 'Carol'),
  };
  for (const p of Object.values(phones)) {
    const status = await p.register(600);
    if (status !== 200) throw new Error(`registration of ${p.aor.uri} failed with ${status}`);
  }
  return {
    transport,
    proxy,
    proxyTransport,
    phones,
    recorder,
    store,
    probes,
    allocator,
    aor,
    async close() {
      await Promise.all(Object.values(phones).map((p) => p.stop()));
      proxy.close();
      store.close();
      await proxyTransport.close();
    },
  };
}
