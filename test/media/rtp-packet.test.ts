import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { looksLikeRtcp, parseRtp, rtpHeaderLength, serializeRtp } from '../../src/media/rtp-packet.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

test('a plain RTP header parses field by field (RFC 3550 §5.1)', () => {
  // V=2, M=1, PT=0, seq 0x1234, ts 0xdecafbad, ssrc 0xdeadbeef, payload ab ab
  const r = parseRtp(hex('8080 1234 decafbad deadbeef abab'));
  assert.ok(r.ok);
  const p = r.packet;
  assert.deepEqual(
    [p.marker, p.payloadType, p.sequenceNumber, p.timestamp, p.ssrc, p.csrc, p.extension, p.headerLength],
    [true, 0, 0x1234, 0xdecafbad, 0xdeadbeef, [], undefined, 12],
  );
  assert.deepEqual([...p.payload], [0xab, 0xab]);
});

test('CSRCs, header extension and padding are read; the payload is a view (no copy)', () => {
  const buf = hex('b2 08 0001 00000010 00000020 00000001 00000002 bede0001 10ff0000 aabbcc 000003');
  const r = parseRtp(buf);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  const p = r.packet;
  assert.deepEqual(p.csrc, [1, 2]);
  assert.equal(p.extension?.profile, 0xbede);
  assert.deepEqual([...p.extension!.data], [0x10, 0xff, 0, 0]);
  assert.deepEqual([...p.payload], [0xaa, 0xbb, 0xcc]);
  assert.equal(p.paddingLength, 3);
  assert.equal(p.payload.buffer, buf.buffer, 'payload shares the datagram buffer');
  assert.equal(rtpHeaderLength(buf), 28);
});

test('malformed input gives a reason, never an exception', () => {
  const bad = [
    hex(''),
    hex('80 00 0001 00000000'), // short
    hex('40 00 0001 00000000 00000000'), // version 1
    hex('8f 00 0001 00000000 00000000'), // 15 CSRCs, none present
    hex('90 00 0001 00000000 00000000 bede'), // extension header cut
    hex('90 00 0001 00000000 00000000 bede0004 00000000'), // extension longer than packet
    hex('a0 00 0001 00000000 00000000 00'), // padding count 0
    hex('a0 00 0001 00000000 00000000 0009'), // padding longer than packet
  ];
  for (const b of bad) {
    const r = parseRtp(b);
    assert.equal(r.ok, false, Buffer.from(b).toString('hex'));
    assert.ok(!r.ok && r.reason.length > 0);
  }
});

test('property: any byte string parses or fails without throwing; serialize → parse round-trips', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
      const r = parseRtp(b);
      if (r.ok) assert.ok(r.packet.headerLength + r.packet.payload.length + r.packet.paddingLength === b.length);
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(
      fc.record({
        marker: fc.boolean(),
        payloadType: fc.integer({ min: 0, max: 127 }),
        sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
        timestamp: fc.integer({ min: 0, max: 0xffffffff }),
        ssrc: fc.integer({ min: 0, max: 0xffffffff }),
        csrc: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 }),
        payload: fc.uint8Array({ maxLength: 200 }),
        padTo: fc.constantFrom(undefined, 4, 16),
      }),
      (init) => {
        const r = parseRtp(serializeRtp(init));
        assert.ok(r.ok);
        const p = r.packet;
        assert.deepEqual(
          [p.marker, p.payloadType, p.sequenceNumber, p.timestamp, p.ssrc, p.csrc, [...p.payload]],
          [init.marker, init.payloadType, init.sequenceNumber, init.timestamp, init.ssrc, init.csrc, [...init.payload]],
        );
      },
    ),
    { numRuns: 500 },
  );
});

test('serialize refuses out-of-range fields; RTCP is told apart from RTP', () => {
  assert.throws(() => serializeRtp({ payloadType: 128, sequenceNumber: 0, timestamp: 0, ssrc: 0, payload: hex('') }));
  const rtp = serializeRtp({ payloadType: 8, sequenceNumber: 1, timestamp: 2, ssrc: 3, payload: hex('00') });
  assert.equal(looksLikeRtcp(rtp), false);
  assert.equal(looksLikeRtcp(hex('80c90001 00000001')), true);
});
