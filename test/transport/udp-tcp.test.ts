/** RFC 3261 §18.1.1: a request over UDP larger than 1300 bytes goes over TCP, with the top Via saying so. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createResponse, type SipRequest } from '../../src/message/index.js';
import type { Inbound } from '../../src/transport/index.js';
import { manager, nextMessage, options, udpPeer } from './helpers.js';

async function pair(clientOpts: Parameters<typeof manager>[0] = {}, serverTcp = true) {
  // UDP and TCP on one port (as a SIP server would be): retry when another socket holds that TCP port
  let server = manager();
  let su = await server.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
  for (let attempt = 0; serverTcp; attempt++) {
    try {
      await server.listen({ protocol: 'tcp', host: '127.0.0.1', port: su.port });
      break;
    } catch (e) {
      if (attempt >= 20) throw e;
      await server.close();
      server = manager();
      su = await server.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
    }
  }
  const client = manager(clientOpts);
  const cu = await client.listen({ protocol: 'udp', host: '127.0.0.1', port: 0 });
  const ct = await client.listen({ protocol: 'tcp', host: '127.0.0.1', port: 0 });
  const large = () => {
    const r = options({ transport: 'udp', viaHost: '127.0.0.1', viaPort: cu.port, target: `127.0.0.1:${su.port}` });
    r.setBody('v=0\r\n' + 'a=x-filler:' + 'x'.repeat(1400) + '\r\n', 'application/sdp');
    return r;
  };
  return { server, client, port: su.port, cu, ct, large };
}

test('a large request switches to TCP, the top Via says TCP with our TCP sent-by; the branch is kept; responses come back on it', async () => {
  const { server, client, port, ct, large } = await pair();
  const req = large();
  const branch = req.topVia!.branch;
  assert.ok(req.toBuffer().length > 1300);
  const got = nextMessage(server);
  await client.send(req, { protocol: 'udp', host: '127.0.0.1', port });
  const m = await got;
  assert.equal(m.protocol, 'tcp');
  const via = (m.message as SipRequest).topVia!;
  assert.equal(via.transport, 'TCP');
  assert.equal(via.port, ct.port);
  assert.equal(via.branch, branch);
  assert.equal(client.stats.udpToTcp, 1);
  const back = nextMessage(client);
  await server.respond(m, createResponse(m.message as SipRequest, 200));
  assert.equal((await back).protocol, 'tcp');
  // a small request stays on UDP
  const small = nextMessage(server);
  await client.send(options({ transport: 'udp', viaHost: '127.0.0.1', target: '127.0.0.1' }), {
    protocol: 'udp',
    host: '127.0.0.1',
    port,
  });
  assert.equal((await small).protocol, 'udp');
});

test('udpMaxBytes: 0 disables the switch; responses are never switched', async () => {
  const { server, client, port, large } = await pair({ udpMaxBytes: 0 });
  const got = nextMessage(server);
  await client.send(large(), { protocol: 'udp', host: '127.0.0.1', port });
  const m = await got;
  assert.equal(m.protocol, 'udp');
  assert.equal((m.message as SipRequest).topVia!.transport, 'UDP');
  assert.equal(client.stats.udpToTcp, 0);
  // a large response from a switching manager still goes over UDP
  const res = createResponse(m.message as SipRequest, 200);
  res.setBody('y'.repeat(2000), 'text/plain');
  const back = nextMessage(client);
  await server.send(res, server.responseTarget(m).target);
  assert.equal((await back).protocol, 'udp');
  assert.equal(server.stats.udpToTcp, 0);
});

test('a target without TCP gets the large request over UDP with the original Via (and is remembered)', async () => {
  const { server, client, port, large } = await pair({}, false);
  const seen: Inbound[] = [];
  server.on('message', (m: Inbound) => seen.push(m));
  const req = large();
  const before = req.topVia!.toString();
  const got = nextMessage(server);
  await client.send(req, { protocol: 'udp', host: '127.0.0.1', port });
  const m = await got;
  assert.equal(m.protocol, 'udp');
  assert.equal((m.message as SipRequest).topVia!.transport, 'UDP');
  assert.equal(req.topVia!.toString(), before);
  assert.equal(client.stats.udpToTcp, 0);
  const opened = client.stats.connectionsOpened;
  const again = nextMessage(server);
  await client.send(large(), { protocol: 'udp', host: '127.0.0.1', port });
  assert.equal((await again).protocol, 'udp');
  assert.equal(client.stats.connectionsOpened, opened, 'no second TCP attempt');
  // a raw UDP peer sees the whole 1.4 kB datagram
  const peer = await udpPeer();
  await client.send(large(), { protocol: 'udp', host: '127.0.0.1', port: peer.port }).catch(() => undefined);
  assert.ok((await peer.next()).length > 1300);
});
