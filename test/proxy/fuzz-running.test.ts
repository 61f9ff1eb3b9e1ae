/**
 * Fuzzing the running elements (issue 16 item 3): thousands of mutated datagrams and TCP/TLS/WS
 * segments, built from the RFC 4475 / RFC 5118 vectors with a seeded PRNG, go to a running proxy
 * and a running phone. Afterwards a real call still completes through them, streams are still
 * served, and the heap has not grown beyond a bound.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as tls from 'node:tls';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { WebSocket } from 'ws';
import { createRequest, createVia, parseUri, type SipUri, type Uri } from '../../src/message/index.js';
import { TransportManager, createDevCertificates, type Target } from '../../src/transport/index.js';
import { MemoryLocationStore, Registrar } from '../../src/registrar/index.js';
import { Proxy } from '../../src/proxy/proxy.js';
import { UserAgent } from '../../src/ua/user-agent.js';
import type { Call } from '../../src/call/call.js';
import { Mutator } from '../helpers/mutate.js';

const SEED = Number(process.env.FUZZ_SEED ?? 1604);
const DATAGRAMS = 1500; // per element
const CONNECTIONS = 48; // per element, 10 messages each, over TCP, TLS and WS in turn
/** Heap growth allowed across the fuzzing and the call after it (forced GC before each reading). */
const HEAP_BOUND = 32 * 1024 * 1024;
const DOMAIN = 'fuzz.example.com';
const TIMERS = { T1: 50, T2: 400, T4: 500 }; // short timers: the fuzzers' half-dialogs end quickly

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const certs = await createDevCertificates(['127.0.0.1', DOMAIN]);
const creds = { key: certs.key, cert: certs.cert };
type Ports = Record<'udp' | 'tcp' | 'tls' | 'ws', number>;

let proxyTransport: TransportManager;
let proxy: Proxy;
let store: MemoryLocationStore;
let alice: UserAgent;
let bob: UserAgent;
const ports = { proxy: {} as Ports, bob: {} as Ports };

before(async () => {
  proxyTransport = new TransportManager({ tlsCa: certs.ca });
  for (const protocol of ['udp', 'tcp', 'tls', 'ws'] as const)
    ports.proxy[protocol] = (await proxyTransport.listen({ protocol, host: '127.0.0.1', port: 0, tls: creds })).port;
  // no DNS: our domain is the proxy, loopback URIs are themselves, anything else has no route
  const resolve = async (uri: Uri): Promise<Target[]> => {
    const u = uri as SipUri;
    if (u.hostname === DOMAIN) return [{ protocol: 'udp', host: '127.0.0.1', port: ports.proxy.udp }];
    if (u.hostname === '127.0.0.1' && u.port) return [{ protocol: 'udp', host: '127.0.0.1', port: u.port }];
    return [];
  };
  store = new MemoryLocationStore();
  proxy = new Proxy({
    transport: proxyTransport,
    domains: [DOMAIN],
    hostnames: ['127.0.0.1'],
    registrar: new Registrar({ domains: [DOMAIN], store }),
    recordRoute: true,
    timers: TIMERS,
    resolve,
  });
  const phone = async (name: string, protocols: readonly ('udp' | 'tcp' | 'tls' | 'ws')[]) => {
    const ua = new UserAgent({
      aor: `sip:${name}@${DOMAIN}`,
      listen: protocols.map((protocol) => ({ protocol, host: '127.0.0.1', port: 0, tls: creds })),
      tlsCa: certs.ca,
      outboundProxy: `sip:127.0.0.1:${ports.proxy.udp};lr`,
      registrar: `sip:${DOMAIN}`,
      autoAnswer: 0,
      timers: TIMERS,
      resolve,
    });
    await ua.start();
    assert.equal(await ua.register(600), 200);
    return ua;
  };
  alice = await phone('alice', ['udp']);
  bob = await phone('bob', ['udp', 'tcp', 'tls', 'ws']);
  for (const protocol of ['udp', 'tcp', 'tls', 'ws'] as const)
    ports.bob[protocol] = bob.transport.address(protocol)!.port;
});

after(async () => {
  await Promise.all([alice?.stop(), bob?.stop()]);
  proxy?.close();
  store?.close();
  await proxyTransport?.close();
});

/** Mutated datagrams, one after the other (each send completes before the next). */
async function fuzzUdp(port: number, m: Mutator): Promise<void> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', () => undefined); // answers and retransmissions: ignored
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  try {
    for (let i = 0; i < DATAGRAMS; i++) {
      const { bytes } = m.message();
      // the largest UDP payload: longer mutations are cut (the kernel would refuse them)
      await new Promise<void>((r) => sock.send(bytes.subarray(0, 65_000), port, '127.0.0.1', () => r()));
      // let the element read it: a sender in the same event loop would otherwise overrun the socket buffer
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    sock.close();
  }
}

/** Open a stream of `protocol`; resolves with a writer and a closer, or undefined when refused. */
function openStream(protocol: 'tcp' | 'tls' | 'ws', port: number) {
  return new Promise<{ write(b: Buffer): Promise<void>; close(abrupt: boolean): Promise<void> } | undefined>(
    (resolve) => {
      if (protocol === 'ws') {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`, 'sip');
        ws.on('error', () => resolve(undefined));
        ws.on('open', () =>
          resolve({
            write: (b) => new Promise((r) => (ws.readyState === WebSocket.OPEN ? ws.send(b, () => r()) : r())),
            close: (abrupt) => {
              const closed = new Promise<void>((r) =>
                ws.readyState === WebSocket.CLOSED ? r() : ws.once('close', () => r()),
              );
              if (abrupt) ws.terminate();
              else ws.close(); // the closing handshake (RFC 6455 §7): the element answers it
              return closed;
            },
          }),
        );
        return;
      }
      const s: net.Socket =
        protocol === 'tls'
          ? tls.connect({ port, host: '127.0.0.1', ca: certs.ca }, () => ready())
          : net.connect(port, '127.0.0.1', () => ready());
      s.on('error', () => undefined);
      s.on('data', () => undefined);
      s.once('close', () => resolve(undefined));
      const ready = () =>
        resolve({
          write: (b) => new Promise((r) => (s.writable ? s.write(b, () => r()) : r())),
          close: (abrupt) => {
            const closed = new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));
            if (abrupt) s.destroy();
            // our FIN sent (the half-written message ends there): then let go, not waiting for the element's
            else s.end(() => s.destroy());
            return closed;
          },
        });
    },
  );
}

/** Connections carrying 10 mutated messages each, in random segments; half of them end mid-message. */
async function fuzzStreams(p: Ports, m: Mutator): Promise<void> {
  const protocols = ['tcp', 'tls', 'ws'] as const;
  const one = async (i: number) => {
    const protocol = protocols[i % 3]!;
    const conn = await openStream(protocol, p[protocol]);
    if (!conn) return;
    for (let k = 0; k < 10; k++) {
      const { bytes } = m.message();
      if (protocol === 'ws') await conn.write(bytes);
      else for (const seg of m.segments(bytes)) await conn.write(seg);
    }
    // a half-written stream: the start of one more message, then a close or a reset
    const { bytes } = m.message();
    if (protocol !== 'ws') await conn.write(bytes.subarray(0, m.int(bytes.length)));
    await conn.close(m.next() < 0.5);
  };
  for (let i = 0; i < CONNECTIONS; i += 6) await Promise.all([0, 1, 2, 3, 4, 5].map((j) => one(i + j)));
}

/** An OPTIONS to the proxy itself over each stream transport: each must be answered 200. */
async function optionsOverStreams(): Promise<void> {
  const client = new TransportManager({ tlsCa: certs.ca });
  try {
    await client.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
    for (const protocol of ['tcp', 'tls', 'ws'] as const) {
      const req = createRequest({
        method: 'OPTIONS',
        uri: `sip:127.0.0.1:${ports.proxy[protocol]}${protocol === 'tcp' ? '' : `;transport=${protocol}`}`,
        from: 'sip:prober@elsewhere.example',
        to: `sip:127.0.0.1:${ports.proxy[protocol]}`,
        via: createVia(protocol.toUpperCase(), '127.0.0.1', 9, true),
      });
      const answered = new Promise<number>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no answer over ${protocol}`)), 5000);
        client.on('message', (m) => {
          if (!m.message.isRequest && m.message.callId === req.callId) {
            clearTimeout(t);
            resolve((m.message as unknown as { status: number }).status);
          }
        });
      });
      await client.send(req, { protocol, host: '127.0.0.1', port: ports.proxy[protocol] });
      assert.equal(await answered, 200, `OPTIONS over ${protocol}`);
    }
  } finally {
    await client.close();
  }
}

/** alice → proxy → bob, answered, hung up by alice, ended at bob. */
async function realCall(): Promise<void> {
  const incoming = new Promise<Call>((r) => bob.once('incoming', r));
  const call = alice.dial(parseUri(`sip:bob@${DOMAIN}`));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the call was not established')), 10_000);
    call.once('established', () => (clearTimeout(t), resolve()));
    call.once('terminated', (i: { reason: string; code?: number }) =>
      reject(new Error(`call failed: ${i.reason} ${i.code ?? ''}`)),
    );
  });
  const remote = await incoming;
  const ended = new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('bob never saw the BYE')), 10_000);
    remote.once('terminated', () => (clearTimeout(t), resolve()));
  });
  void call.hangup();
  await ended;
}

test(`fuzzing the running proxy and phone (seed ${SEED}): they keep serving, within a heap bound`, async () => {
  await realCall(); // warm: code paths compiled, pools allocated, before the baseline
  const before = heap();
  const m = new Mutator(SEED);
  const started = performance.now();
  for (const target of [ports.proxy, ports.bob]) {
    await fuzzUdp(target.udp, m);
    await fuzzStreams(target, m);
  }
  const fuzzMs = performance.now() - started;
  await realCall();
  await optionsOverStreams();
  const grown = heap() - before;
  console.log(
    `# fuzz seed ${SEED}: ${2 * DATAGRAMS} datagrams, ${2 * CONNECTIONS} connections (${20 * CONNECTIONS} messages) ` +
      `in ${Math.round(fuzzMs)} ms; heap grown ${(grown / 1024 / 1024).toFixed(1)} MB (bound ${HEAP_BOUND / 1024 / 1024} MB); ` +
      `proxy received ${proxyTransport.stats.received} / parse errors ${proxyTransport.stats.parseErrors}, ` +
      `bob received ${bob.transport.stats.received} / parse errors ${bob.transport.stats.parseErrors}`,
  );
  for (const [name, t] of [
    ['proxy', proxyTransport],
    ['bob', bob.transport],
  ] as const) {
    const reached = t.stats.received + t.stats.parseErrors;
    assert.ok(reached > 0.9 * DATAGRAMS, `${name}: only ${reached} fuzzed messages were read`);
  }
  assert.ok(grown < HEAP_BOUND, `heap grew by ${grown} bytes`);
});
