import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { FakeClock, type Clock } from '../../src/util/clock.js';
import { PortAllocator } from '../../src/media/ports.js';
import { Pacer } from '../../src/media/pacer.js';
import { RtpSession, type RtpSessionOptions } from '../../src/media/rtp-session.js';
import type { RtpPacket } from '../../src/media/rtp-packet.js';
import type { RtcpPacket } from '../../src/media/rtcp.js';

const T = { timeout: 10_000 };
const allocator = () => new PortAllocator({ min: 40000, max: 40999 });

/** Resolves once `event` has fired `n` times; collects the first argument. */
function collect<T>(s: RtpSession, event: 'audio' | 'dtmf' | 'rtcp', n: number): { got: T[]; done: Promise<T[]> } {
  const got: T[] = [];
  const done = new Promise<T[]>((resolve) => {
    const on = (x: T) => {
      got.push(x);
      if (got.length === n) resolve(got);
    };
    s.on(event, on as never);
  });
  return { got, done };
}

async function pair(clock: Clock, a: Partial<RtpSessionOptions> = {}, b: Partial<RtpSessionOptions> = {}) {
  const alloc = allocator();
  const base = {
    allocator: alloc,
    address: '127.0.0.1',
    payloadType: 0,
    dtmfPayloadType: 101,
    clock,
    random: () => 0.5,
  };
  const A = await RtpSession.open({ ...base, ...a });
  const B = await RtpSession.open({ ...base, ...b });
  A.setRemote({ address: '127.0.0.1', port: B.localPort });
  B.setRemote({ address: '127.0.0.1', port: A.localPort });
  return { alloc, A, B };
}
const frame = (tag: number) => () => new Uint8Array(160).fill(tag);

test('two sessions exchange paced 20 ms frames both ways; seq +1, timestamp +160, marker on the first', T, async () => {
  const clock = new FakeClock();
  const { alloc, A, B } = await pair(clock);
  assert.notEqual(A.ssrc, B.ssrc);
  const atB = collect<RtpPacket>(B, 'audio', 11);
  const atA = collect<RtpPacket>(A, 'audio', 11);
  A.startPacing(frame(1));
  B.startPacing(frame(2));
  clock.advance(200); // ticks at 0, 20, ..., 200
  const [fromA, fromB] = await Promise.all([atB.done, atA.done]);
  for (const [pkts, tag, src] of [
    [fromA, 1, A],
    [fromB, 2, B],
  ] as const) {
    assert.equal(pkts[0]!.marker, true);
    assert.ok(pkts.slice(1).every((p) => !p.marker));
    pkts.forEach((p, i) => {
      assert.equal(p.ssrc, src.ssrc);
      assert.equal(p.sequenceNumber, (pkts[0]!.sequenceNumber + i) & 0xffff);
      assert.equal(p.timestamp, (pkts[0]!.timestamp + i * 160) >>> 0);
      assert.equal(p.payload[0], tag);
    });
  }
  assert.equal(A.stats().sent, 11);
  assert.equal(B.stats().received, 11);
  assert.equal(B.stats().lost, 0);
  await Promise.all([A.close(), B.close()]);
  assert.equal(alloc.inUse, 0, 'ports freed');
});

test('hold: A sendonly / B recvonly stops B only; resume carries seq and timestamp on with a marker', T, async () => {
  const clock = new FakeClock();
  const { A, B } = await pair(clock);
  const atA = collect<RtpPacket>(A, 'audio', 5);
  A.startPacing(frame(1));
  B.startPacing(frame(2));
  clock.advance(40); // 3 frames each
  while (atA.got.length < 3) await new Promise((r) => A.once('audio', r));
  A.setDirection('sendonly');
  B.setDirection('recvonly');
  const sentBefore = B.stats().sent;
  const atB = collect<RtpPacket>(B, 'audio', 10);
  clock.advance(100); // 5 more ticks
  assert.equal(B.stats().sent, sentBefore, 'the held side sends nothing');
  assert.equal(A.stats().sent, 8, 'the holding side keeps sending');
  A.setDirection('sendrecv');
  B.setDirection('sendrecv');
  clock.advance(40);
  const got = await atA.done;
  const [before, after] = [got[2]!, got[3]!];
  assert.equal(after.sequenceNumber, (before.sequenceNumber + 1) & 0xffff, 'no sequence gap: nothing was sent');
  assert.equal(after.timestamp, (before.timestamp + 6 * 160) >>> 0, 'timestamp followed the clock through the hold');
  assert.equal(after.marker, true, 'a new talkspurt');
  await atB.done;
  await Promise.all([A.close(), B.close()]);
});

test('inactive stops both; recvonly still delivers, sendonly drops what arrives', T, async () => {
  const clock = new FakeClock();
  const { A, B } = await pair(clock, { direction: 'inactive' }, { direction: 'inactive' });
  A.startPacing(frame(1));
  B.startPacing(frame(2));
  clock.advance(100);
  assert.deepEqual([A.stats().sent, B.stats().sent], [0, 0]);
  B.setDirection('sendonly');
  A.setDirection('recvonly');
  const atA = collect<RtpPacket>(A, 'audio', 2);
  clock.advance(40);
  await atA.done;
  assert.equal(A.stats().sent, 0);
  await Promise.all([A.close(), B.close()]);
});

test('a re-INVITE moving the stream: the new peer sees seq and timestamp continue', T, async () => {
  const clock = new FakeClock();
  const { alloc, A, B } = await pair(clock);
  const C = await RtpSession.open({ allocator: alloc, address: '127.0.0.1', payloadType: 0, clock });
  const atB = collect<RtpPacket>(B, 'audio', 2);
  A.sendFrame(new Uint8Array(160));
  A.sendFrame(new Uint8Array(160));
  const [, last] = await atB.done;
  A.setRemote({ address: '127.0.0.1', port: C.localPort });
  const atC = collect<RtpPacket>(C, 'audio', 1);
  A.sendFrame(new Uint8Array(160));
  const [first] = await atC.done;
  assert.equal(first!.sequenceNumber, (last!.sequenceNumber + 1) & 0xffff);
  assert.equal(first!.timestamp, (last!.timestamp + 160) >>> 0);
  await Promise.all([A.close(), B.close(), C.close()]);
  assert.equal(alloc.inUse, 0);
});

test('SRTP both sides: audio and RTCP go through; a wrong key is counted and dropped', T, async () => {
  const clock = new FakeClock();
  const ka = randomBytes(30);
  const kb = randomBytes(30);
  const suite = 'AES_CM_128_HMAC_SHA1_80' as const;
  const { A, B } = await pair(
    clock,
    { srtp: { suite, localKey: ka, remoteKey: kb } },
    { srtp: { suite, localKey: kb, remoteKey: ka } },
  );
  assert.ok(A.srtp && B.srtp);
  const atB = collect<RtpPacket>(B, 'audio', 5);
  const rtcpAtB = collect<RtcpPacket[]>(B, 'rtcp', 1);
  A.startPacing(frame(7));
  clock.advance(80);
  const got = await atB.done;
  assert.ok(
    got.every((p) => p.payload.length === 160 && p.payload[0] === 7),
    'decrypted payloads',
  );
  clock.advance(2500); // first report at half the 5 s interval
  const [sr] = await rtcpAtB.done;
  assert.equal(sr![0]!.type, 'sr');
  // a sender with the wrong key
  B.setSrtp({ suite, localKey: kb, remoteKey: randomBytes(30) });
  const fails = B.stats().srtpFailures;
  const received = B.stats().received;
  A.sendFrame(new Uint8Array(160));
  await new Promise<void>((resolve) => {
    const check = () => (B.stats().srtpFailures > fails ? resolve() : setImmediate(check));
    check();
  });
  assert.equal(B.stats().received, received, 'the forged packet was not counted as received');
  await Promise.all([A.close(), B.close()]);
});

test('RTCP: SR with counts and a report block, randomised interval; BYE on close', T, async () => {
  const clock = new FakeClock();
  const { alloc, A, B } = await pair(clock);
  const atB = collect<RtpPacket>(B, 'audio', 50);
  A.startPacing(frame(1));
  B.startPacing(() => undefined); // B sends nothing: its reports are RRs
  clock.advance(980);
  await atB.done;
  A.stopPacing();
  const srAtB = collect<RtcpPacket[]>(B, 'rtcp', 1);
  const rrAtA = collect<RtcpPacket[]>(A, 'rtcp', 1);
  clock.advance(2500 - 980);
  const [[sr, sdes]] = (await srAtB.done) as [[RtcpPacket, RtcpPacket]];
  assert.ok(sr.type === 'sr');
  assert.equal(sr.packetCount, 50);
  assert.equal(sr.octetCount, 50 * 160);
  assert.ok(sdes.type === 'sdes' && sdes.chunks[0]!.items[0]!.text === A.cname);
  const [[rr]] = (await rrAtA.done) as [[RtcpPacket]];
  assert.ok(rr.type === 'rr');
  assert.equal(rr.reports[0]!.ssrc, A.ssrc);
  assert.equal(rr.reports[0]!.cumulativeLost, 0);
  const bye = new Promise<number[]>((r) => B.once('bye', (ssrcs) => r(ssrcs)));
  await A.close();
  assert.deepEqual(await bye, [A.ssrc]);
  await B.close();
  assert.equal(alloc.inUse, 0);
});

test('DTMF hook: telephone-event packets carry the event timestamp and reach the dtmf listener', T, async () => {
  const clock = new FakeClock();
  const { A, B } = await pair(clock);
  const atB = collect<RtpPacket>(B, 'dtmf', 2);
  const ts = A.timestamp;
  A.sendDtmf(Uint8Array.of(5, 10, 0, 160), { marker: true, timestamp: ts });
  A.sendDtmf(Uint8Array.of(5, 10, 1, 64), { marker: false, timestamp: ts });
  const [first, second] = await atB.done;
  assert.deepEqual([first!.payloadType, first!.marker, first!.timestamp], [101, true, ts]);
  assert.equal(second!.timestamp, ts);
  assert.deepEqual([...second!.payload], [5, 10, 1, 64]);
  await Promise.all([A.close(), B.close()]);
});

test('latching: with latch on, we send to where the peer sends from', T, async () => {
  const clock = new FakeClock();
  const { A, B } = await pair(clock, {}, { latch: true });
  B.setRemote({ address: '127.0.0.1', port: 9 }); // wrong: the peer is behind a NAT
  const latched = new Promise((r) => B.once('latched', r));
  A.sendFrame(new Uint8Array(160));
  assert.deepEqual(await latched, { address: '127.0.0.1', port: A.localPort, rtcpPort: A.localPort + 1 });
  const atA = collect<RtpPacket>(A, 'audio', 1);
  B.sendFrame(new Uint8Array(160));
  await atA.done;
  await Promise.all([A.close(), B.close()]);
});

test('pacer: ticks are scheduled by absolute time, so late timers do not accumulate drift', () => {
  const fake = new FakeClock();
  // every timer fires 7 ms late
  const late: Clock = {
    now: () => fake.now(),
    setTimeout: (fn, ms) => fake.setTimeout(fn, ms + 7),
    clearTimeout: (h) => fake.clearTimeout(h),
  };
  let ticks = 0;
  const p = new Pacer({ clock: late, intervalMs: 20 }, () => ticks++);
  p.start();
  fake.advance(60_000);
  // without absolute scheduling: 60000 / 27 ≈ 2222 ticks
  assert.ok(Math.abs(ticks - 3000) <= 2, `ticks ${ticks}`);
  // a 1 s stall skips ahead instead of bursting
  const stalled: Clock = { ...late, setTimeout: (fn, ms) => fake.setTimeout(fn, ms + 1000) };
  let n = 0;
  const q = new Pacer({ clock: stalled, intervalMs: 20 }, () => n++);
  q.start();
  fake.advance(10_000);
  assert.ok(q.skipped > 0 && n < 20, `${n} ticks, ${q.skipped} skipped`);
  p.stop();
  q.stop();
});

test('pacing stopped and restarted: seq +1, timestamp advanced by the pause, marker set', T, async () => {
  const clock = new FakeClock();
  const { A, B } = await pair(clock);
  const atB = collect<RtpPacket>(B, 'audio', 4);
  A.startPacing(frame(1));
  clock.advance(40); // 3 frames
  A.stopPacing();
  clock.advance(1000);
  A.startPacing(frame(1));
  clock.advance(0); // the first tick is due at once
  const got = await atB.done;
  const [before, after] = [got[2]!, got[3]!];
  assert.equal(after.sequenceNumber, (before.sequenceNumber + 1) & 0xffff);
  assert.equal(after.timestamp, (before.timestamp + 50 * 160) >>> 0);
  assert.equal(after.marker, true);
  await Promise.all([A.close(), B.close()]);
});

test('SRTP: setSrtp with the same keys keeps the contexts (a replayed packet is still refused)', T, async () => {
  const clock = new FakeClock();
  const ka = randomBytes(30);
  const kb = randomBytes(30);
  const suite = 'AES_CM_128_HMAC_SHA1_80' as const;
  const { A, B } = await pair(
    clock,
    { srtp: { suite, localKey: ka, remoteKey: kb } },
    { srtp: { suite, localKey: kb, remoteKey: ka } },
  );
  // capture one protected packet on a plain socket, then play it to B twice
  const tap = createSocket('udp4');
  await new Promise<void>((r) => tap.bind(0, '127.0.0.1', () => r()));
  const captured = new Promise<Buffer>((r) => tap.once('message', (m) => r(m)));
  A.setRemote({ address: '127.0.0.1', port: tap.address().port });
  A.sendFrame(new Uint8Array(160).fill(3));
  const pkt = await captured;
  const atB = collect<RtpPacket>(B, 'audio', 1);
  tap.send(pkt, B.localPort, '127.0.0.1');
  await atB.done;
  B.setSrtp({ suite, localKey: kb, remoteKey: ka }); // a re-INVITE with unchanged keys
  const failures = B.stats().srtpFailures;
  tap.send(pkt, B.localPort, '127.0.0.1');
  await new Promise<void>((resolve) => {
    const check = () => (B.stats().srtpFailures > failures ? resolve() : setImmediate(check));
    check();
  });
  assert.equal(B.stats().received, 1, 'the replay was refused');
  await new Promise<void>((r) => tap.close(() => r()));
  await Promise.all([A.close(), B.close()]);
});
