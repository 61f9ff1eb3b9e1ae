import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DtmfError,
  DtmfReceiver,
  decodeTelephoneEvent,
  digitToEvent,
  encodeDigit,
  encodeTelephoneEvent,
  eventToDigit,
  type DtmfPacket,
} from '../../src/media/dtmf.js';

test('payload layout (RFC 4733 §2.3): event, E|R|volume, 16-bit duration', () => {
  assert.deepEqual(
    Array.from(encodeTelephoneEvent({ event: 11, end: true, volume: 10, duration: 800 })),
    [11, 0x8a, 0x03, 0x20],
  );
  // the reserved R bit is ignored on receipt
  assert.deepEqual(decodeTelephoneEvent(Uint8Array.of(5, 0x40 | 7, 0, 160)), {
    event: 5,
    end: false,
    volume: 7,
    duration: 160,
  });
  assert.throws(() => decodeTelephoneEvent(Uint8Array.of(1, 2, 3)), DtmfError);
  assert.throws(() => encodeTelephoneEvent({ event: 1, end: false, volume: 64, duration: 0 }), DtmfError);
});

test('payload round trip (property)', () => {
  fc.assert(
    fc.property(
      fc.record({
        event: fc.integer({ min: 0, max: 255 }),
        end: fc.boolean(),
        volume: fc.integer({ min: 0, max: 63 }),
        duration: fc.integer({ min: 0, max: 0xffff }),
      }),
      (e) => assert.deepEqual(decodeTelephoneEvent(encodeTelephoneEvent(e)), { ...e }),
    ),
  );
});

test('digits map to events 0-15 (RFC 4733 Table 7), others rejected', () => {
  assert.deepEqual([...'0123456789*#ABCD'].map(digitToEvent), [...Array(16).keys()]);
  assert.equal(digitToEvent('a'), 12);
  assert.equal(eventToDigit(11), '#');
  assert.equal(eventToDigit(16), undefined);
  assert.throws(() => digitToEvent('E'), DtmfError);
  assert.throws(() => digitToEvent('12'), DtmfError);
});

test('encodeDigit: 100 ms digit = 4 updates every 20 ms + 3 end packets, one timestamp, marker on the first', () => {
  const pk = encodeDigit('#', { timestamp: 1234 });
  assert.equal(pk.length, 7);
  assert.deepEqual(
    pk.map((p) => p.marker),
    [true, false, false, false, false, false, false],
  );
  assert.ok(pk.every((p) => p.timestamp === 1234));
  assert.deepEqual(
    pk.map((p) => p.offsetMs),
    [0, 20, 40, 60, 80, 100, 120],
  );
  const ev = pk.map((p) => decodeTelephoneEvent(p.payload));
  assert.deepEqual(
    ev.map((e) => [e.event, e.end, e.duration, e.volume]),
    [
      [11, false, 160, 10],
      [11, false, 320, 10],
      [11, false, 480, 10],
      [11, false, 640, 10],
      [11, true, 800, 10],
      [11, true, 800, 10],
      [11, true, 800, 10],
    ],
  );
  assert.deepEqual(
    pk.map((p) => p.end),
    [false, false, false, false, true, true, true],
  );
});

test('encodeDigit: 20 ms digit is end packets only (the first marked); limits enforced', () => {
  const pk = encodeDigit('1', { timestamp: 0xffffffff + 5, durationMs: 20, endPackets: 2 });
  assert.deepEqual(
    pk.map((p) => [p.marker, p.end, p.timestamp]),
    [
      [true, true, 4],
      [false, true, 4],
    ],
  );
  assert.throws(() => encodeDigit('1', { timestamp: 0, durationMs: 10 }), DtmfError);
  assert.throws(() => encodeDigit('1', { timestamp: 0, durationMs: 9000 }), /segment/);
  assert.throws(() => encodeDigit('x', { timestamp: 0 }), DtmfError);
});

/** Packets of several presses laid out on one timeline, with a gap between presses. */
function sendDigits(digits: string[], startTs: number, durationMs = 100): DtmfPacket[][] {
  let ts = startTs;
  return digits.map((d) => {
    const pk = encodeDigit(d, { timestamp: ts, durationMs });
    ts = (ts + (durationMs + 60) * 8) >>> 0;
    return pk;
  });
}

function receive(packets: DtmfPacket[]): string[] {
  const rx = new DtmfReceiver();
  return packets.flatMap((p) => rx.push(p)?.digit ?? []);
}

test('receiver: one press per digit from a clean stream, including all end retransmissions', () => {
  const presses = sendDigits([...'1234#'], 1000);
  assert.deepEqual(receive(presses.flat()), [...'1234#']);
});

test('receiver: the same digit twice is two presses; the start lost still reports the press', () => {
  const presses = sendDigits(['5', '5'], 0);
  assert.deepEqual(receive([...presses[0]!.slice(2), ...presses[1]!]), ['5', '5']);
});

test('receiver: across the 32-bit timestamp wrap', () => {
  const presses = sendDigits([...'90'], 0xffffffff - 400);
  assert.ok(presses[1]![0]!.timestamp < presses[0]![0]!.timestamp, 'second press wrapped');
  assert.deepEqual(receive(presses.flat()), ['9', '0']);
});

test('receiver: exactly one event per press with loss, duplicates and end packets reordered (property)', () => {
  const digit = fc.constantFrom(...'0123456789*#ABCD');
  fc.assert(
    fc.property(
      fc.array(digit, { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.infiniteStream(fc.integer({ min: 0, max: 99 })),
      (digits, startTs, rnd) => {
        const presses = sendDigits(digits, startTs);
        const wire: DtmfPacket[] = [];
        let delayedEnds: DtmfPacket[] = [];
        for (const pk of presses) {
          // one packet of each press always arrives in order: the anchor
          const anchor = rnd.next().value % pk.length;
          const arrived: DtmfPacket[] = [];
          pk.forEach((p, i) => {
            const r = rnd.next().value;
            if (i !== anchor && r < 30) return; // lost
            arrived.push(p);
            if (r >= 85) arrived.push(p); // duplicated
          });
          const anchorPacket = pk[anchor]!;
          const firstOfPress = arrived.indexOf(anchorPacket);
          // the ends of the previous press come after this press's anchor
          arrived.splice(firstOfPress + 1, 0, ...delayedEnds);
          const keepEnds = rnd.next().value < 50;
          delayedEnds = keepEnds ? [] : arrived.filter((p, i) => p.end && p !== anchorPacket && i > firstOfPress);
          wire.push(...arrived.filter((p) => !delayedEnds.includes(p)));
        }
        wire.push(...delayedEnds);
        assert.deepEqual(receive(wire), digits);
      },
    ),
    { numRuns: 300 },
  );
});

test('receiver: a long event continued in a second segment (RFC 4733 §2.5.1.3) is one press', () => {
  const rx = new DtmfReceiver();
  const seg = (ts: number, duration: number, end: boolean, marker: boolean) =>
    rx.push({ payload: encodeTelephoneEvent({ event: 3, end, volume: 10, duration }), timestamp: ts, marker });
  assert.equal(seg(100, 160, false, true)?.digit, '3');
  assert.equal(seg(100, 0xffff, false, false), undefined);
  assert.equal(seg(100 + 0xffff, 160, false, false), undefined);
  assert.equal(seg(100 + 0xffff, 800, true, false), undefined);
  // a new press of the same digit (marker set) afterwards is reported
  assert.equal(seg(100 + 0xffff + 2000, 160, false, true)?.digit, '3');
  assert.deepEqual(rx.stats, { packets: 5, presses: 2, repeats: 3, stale: 0, malformed: 0, ignored: 0 });
});

test('receiver counts malformed, non-DTMF and stale packets without reporting them', () => {
  const rx = new DtmfReceiver();
  assert.equal(rx.push({ payload: Uint8Array.of(1, 2), timestamp: 0 }), undefined);
  assert.equal(
    rx.push({ payload: encodeTelephoneEvent({ event: 16, end: false, volume: 0, duration: 0 }), timestamp: 0 }),
    undefined,
  );
  assert.equal(
    rx.push({ payload: encodeTelephoneEvent({ event: 1, end: false, volume: 0, duration: 160 }), timestamp: 5000 })
      ?.digit,
    '1',
  );
  // a packet of an older press never seen, after a newer one
  assert.equal(
    rx.push({ payload: encodeTelephoneEvent({ event: 2, end: true, volume: 0, duration: 800 }), timestamp: 4000 }),
    undefined,
  );
  const s = rx.stats;
  assert.deepEqual([s.malformed, s.ignored, s.presses, s.stale], [1, 1, 1, 1]);
});
