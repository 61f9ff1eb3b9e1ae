/** responseTarget: RFC 3261 §18.2.2 with RFC 3581 §4, case by case (no sockets). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, type SipRequest } from '../../src/message/index.js';
import { responseTarget, type Inbound, type TransportProtocol } from '../../src/transport/index.js';

function inbound(via: string, protocol: TransportProtocol, connectionId?: string): Inbound {
  const message = parseMessage(
    `INVITE sip:bob@example.com SIP/2.0\r\nVia: ${via}\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: 1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`,
  ) as SipRequest;
  return {
    message,
    protocol,
    remote: { host: '192.0.2.7', port: 40000 },
    local: { host: '192.0.2.1', port: 5060 },
    ...(connectionId ? { connectionId } : {}),
  };
}
const open = (id: string) => id === 'tcp-1';

test('reliable: the open connection it came on, else received (or sent-by host) at the sent-by port (5060, 5061 for TLS)', () => {
  assert.deepEqual(
    responseTarget(inbound('SIP/2.0/TCP pc.example.com:5070;branch=z9hG4bK1;received=192.0.2.7', 'tcp', 'tcp-1'), open),
    {
      target: { protocol: 'tcp', host: '192.0.2.7', port: 40000 },
      connectionId: 'tcp-1',
    },
  );
  assert.deepEqual(
    responseTarget(inbound('SIP/2.0/TCP pc.example.com:5070;branch=z9hG4bK1;received=192.0.2.7', 'tcp', 'tcp-2'), open),
    { target: { protocol: 'tcp', host: '192.0.2.7', port: 5070 } },
  );
  assert.deepEqual(responseTarget(inbound('SIP/2.0/TCP 192.0.2.7;branch=z9hG4bK1', 'tcp', 'tcp-2'), open), {
    target: { protocol: 'tcp', host: '192.0.2.7', port: 5060 },
  });
  assert.deepEqual(
    responseTarget(inbound('SIP/2.0/TLS pc.example.com;branch=z9hG4bK1;received=192.0.2.7', 'tls', 'tls-9'), open),
    { target: { protocol: 'tls', host: '192.0.2.7', port: 5061 } },
  );
  // rport does not apply to reliable transports
  assert.deepEqual(
    responseTarget(inbound('SIP/2.0/TCP 10.0.0.1:5070;rport=40000;received=192.0.2.7;branch=z9hG4bK1', 'tcp'), open)
      .target.port,
    5070,
  );
});

test('unreliable: maddr first, then received + rport, received + sent-by port, sent-by (default 5060)', () => {
  assert.deepEqual(
    responseTarget(
      inbound(
        'SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1;maddr=239.255.255.1;ttl=1;rport=40000;received=192.0.2.7',
        'udp',
      ),
    ),
    {
      target: { protocol: 'udp', host: '239.255.255.1', port: 5070 },
    },
  );
  assert.deepEqual(
    responseTarget(inbound('SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;maddr=239.255.255.1', 'udp')).target.port,
    5060,
  );
  assert.deepEqual(
    responseTarget(inbound('SIP/2.0/UDP 10.0.0.1:5070;rport=40000;branch=z9hG4bK1;received=192.0.2.7', 'udp')),
    { target: { protocol: 'udp', host: '192.0.2.7', port: 40000 } },
  );
  assert.deepEqual(responseTarget(inbound('SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1;received=192.0.2.7', 'udp')), {
    target: { protocol: 'udp', host: '192.0.2.7', port: 5070 },
  });
  assert.deepEqual(responseTarget(inbound('SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1', 'udp')), {
    target: { protocol: 'udp', host: '192.0.2.7', port: 5060 },
  });
  assert.deepEqual(responseTarget(inbound('SIP/2.0/UDP [2001:db8::7]:5080;branch=z9hG4bK1', 'udp')), {
    target: { protocol: 'udp', host: '2001:db8::7', port: 5080 },
  });
  // an empty rport (not stamped by a transport): the packet's source port
  assert.deepEqual(
    responseTarget(inbound('SIP/2.0/UDP 10.0.0.1:5070;rport;branch=z9hG4bK1;received=192.0.2.7', 'udp')).target.port,
    40000,
  );
  // a sent-by name without received is left for RFC 3263 §5 resolution
  assert.deepEqual(
    responseTarget(inbound('SIP/2.0/UDP pc.example.com;branch=z9hG4bK1', 'udp')).target.host,
    'pc.example.com',
  );
});
