import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ntpFromUnixMs, ntpMiddle, parseRtcp, serializeRtcp, type RtcpPacket } from '../../src/media/rtcp.js';
import { ReceiverStats } from '../../src/media/rtcp-stats.js';

const block = {
  ssrc: 7,
  fractionLost: 64,
  cumulativeLost: -3,
  highestSeq: 0x1ffff,
  jitter: 40,
  lsr: 0x12345678,
  dlsr: 65536,
};

test('SR + SDES CNAME + BYE compound round-trips (RFC 3550 §6.4.1, §6.5, §6.6)', () => {
  const packets: RtcpPacket[] = [
    {
      type: 'sr',
      ssrc: 1,
      ntpSeconds: 3900000000,
      ntpFraction: 0x80000000,
      rtpTimestamp: 160,
      packetCount: 50,
      octetCount: 8000,
      reports: [block],
    },
    { type: 'sdes', chunks: [{ ssrc: 1, items: [{ type: 1, text: 'alice@example.test' }] }] },
    { type: 'bye', ssrcs: [1], reason: 'hangup' },
  ];
  const wire = serializeRtcp(packets);
  assert.equal(wire.length % 4, 0);
  const r = parseRtcp(wire);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  assert.deepEqual(r.packets, packets);
});

test('RR with two blocks; the 24-bit cumulative loss is signed and clamped', () => {
  const rr: RtcpPacket = { type: 'rr', ssrc: 9, reports: [block, { ...block, ssrc: 8, cumulativeLost: 1 << 25 }] };
  const r = parseRtcp(serializeRtcp([rr]));
  assert.ok(r.ok);
  const got = r.packets[0]!;
  assert.ok(got.type === 'rr');
  assert.equal(got.reports[0]!.cumulativeLost, -3);
  assert.equal(got.reports[1]!.cumulativeLost, 0x7fffff);
});

test('invalid compounds are refused with a reason (RFC 3550 A.2)', () => {
  const sdesOnly = serializeRtcp([{ type: 'sdes', chunks: [{ ssrc: 1, items: [] }] }]);
  assert.equal(parseRtcp(sdesOnly).ok, false, 'must start with SR or RR');
  const rr = serializeRtcp([{ type: 'rr', ssrc: 1, reports: [] }]);
  const long = Uint8Array.from(rr);
  long[3] = 9;
  assert.equal(parseRtcp(long).ok, false, 'length past the end');
  const twoBlocks = Uint8Array.from(rr);
  twoBlocks[0] = 0x82;
  assert.equal(parseRtcp(twoBlocks).ok, false, 'count larger than the body');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
      parseRtcp(b); // never throws
    }),
    { numRuns: 3000 },
  );
});

test('NTP conversion and the middle 32 bits used as LSR', () => {
  const t = ntpFromUnixMs(1500);
  assert.equal(t.seconds, 2208988801);
  assert.equal(t.fraction, 0x80000000);
  assert.equal(ntpMiddle(0x0001abcd, 0x12345678), 0xabcd1234);
});

test('receiver statistics: probation, loss, wrap, fraction lost (RFC 3550 A.1, A.3)', () => {
  const s = new ReceiverStats(5, 65530, 8000);
  assert.equal(s.update(65530), 'probation');
  assert.equal(s.update(65531), 'valid');
  // 65532..65535, 0..9, skipping 65534 and 3: crosses the wrap
  for (const q of [65532, 65533, 65535, 0, 1, 2, 4, 5, 6, 7, 8, 9]) assert.equal(s.update(q), 'valid');
  assert.equal(s.extendedMax, 0x10000 + 9);
  assert.equal(s.expected, 15);
  assert.equal(s.received, 13);
  assert.equal(s.lost, 2);
  const b = s.reportBlock(0);
  assert.equal(b.cumulativeLost, 2);
  assert.equal(b.fractionLost, Math.floor((2 * 256) / 15));
  assert.equal(b.highestSeq, 0x10009);
  // no new packets: the next interval reports no loss
  assert.equal(s.reportBlock(0).fractionLost, 0);
  // a late duplicate counts as received, so cumulative loss can drop
  s.update(8);
  assert.equal(s.lost, 1);
});

test('receiver statistics: a big jump is bad once, then accepted as a restart (A.1 bad_seq)', () => {
  const s = new ReceiverStats(5, 100, 8000, { minSequential: 0 });
  assert.equal(s.update(100), 'valid');
  assert.equal(s.update(30000), 'bad');
  assert.equal(s.update(30001), 'valid');
  assert.equal(s.expected, 1);
  assert.equal(s.received, 1);
});

test('jitter follows A.8: constant transit gives 0, alternating 20 ms delay converges near 20 ms', () => {
  const s = new ReceiverStats(5, 0, 8000);
  for (let i = 0; i < 50; i++) s.updateJitter(i * 160, 1000 + i * 20);
  assert.equal(s.jitter, 0);
  const t = new ReceiverStats(6, 0, 8000);
  for (let i = 0; i < 400; i++) t.updateJitter((i * 160) >>> 0, 1000 + i * 20 + (i % 2) * 20);
  assert.ok(Math.abs(t.jitterMs - 20) < 1, `jitter ${t.jitterMs} ms`);
  // a timestamp wrap does not count as a jump
  const w = new ReceiverStats(7, 0, 8000);
  for (let i = 0; i < 10; i++) w.updateJitter((0xffffff00 + i * 160) % 0x100000000, i * 20);
  assert.equal(w.jitter, 0);
});

test('LSR and DLSR come from the last SR received (RFC 3550 §6.4.1)', () => {
  const s = new ReceiverStats(5, 0, 8000);
  s.onSenderReport(0x0001abcd, 0x12345678, 1000);
  const b = s.reportBlock(1500);
  assert.equal(b.lsr, 0xabcd1234);
  assert.equal(b.dlsr, 32768);
});
