/** switchboard proxy --log-format json (one object per transaction) and graceful shutdown on SIGTERM. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cliProcs } from './helpers.js';
import { freePort } from '../interop/ports.js';
import { Peer, rawRequest, rawResponse } from '../proxy/peer.js';

const cli = cliProcs();
const cleanup: (() => unknown)[] = [];
after(() => {
  for (const c of cleanup.reverse()) c();
});

test('JSON log per transaction; SIGTERM: new requests 503, the open INVITE completes, exit 0', async () => {
  const port = await freePort();
  const proxy = cli([
    'proxy',
    '--listen',
    `udp:127.0.0.1:${port}`,
    '--domain',
    'example.com',
    '--log-format',
    'json',
    '--shutdown-timeout',
    '20',
  ]);
  const a = await Peer.open();
  const b = await Peer.open();
  cleanup.push(
    () => a.close(),
    () => b.close(),
  );
  await proxy.waitStderr(/listening on udp/, 15_000);
  a.send(rawRequest('OPTIONS', `sip:127.0.0.1:${port}`, a), port);
  await a.response(200, 'OPTIONS');
  const rec = JSON.parse(await proxy.waitFor((l) => l.includes('"OPTIONS"'))) as Record<string, unknown>;
  assert.equal(rec.status, 200);
  assert.equal(rec.source, `udp:127.0.0.1:${a.port}`);
  assert.equal(typeof rec.callId, 'string');
  assert.equal(typeof rec.duration, 'number');
  assert.equal(proxy.stderr.includes('OPTIONS sip:'), false, 'quiet by default: no text log');

  // an INVITE in progress when SIGTERM comes
  a.send(rawRequest('INVITE', `sip:bob@127.0.0.1:${b.port}`, a, { from: 'sip:alice@example.com' }), port);
  const inv = await b.request('INVITE');
  b.send(rawResponse(inv, 180), port);
  await a.response(180, 'INVITE');
  proxy.child.kill('SIGTERM');
  await proxy.waitStderr(/stopping/, 15_000);
  a.send(rawRequest('OPTIONS', `sip:127.0.0.1:${port}`, a), port);
  await a.response(503, 'OPTIONS');
  b.send(rawResponse(inv, 200), port);
  await a.response(200, 'INVITE');
  assert.equal(await proxy.exited, 0);
  const invite = proxy.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.method === 'INVITE');
  assert.equal(invite?.status, 200);
  assert.equal(invite?.target, `udp:127.0.0.1:${b.port}`);
});
