import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  SdpParseError,
  parseSdp,
  serializeSdp,
  type Connection,
  type SessionDescription,
} from '../../src/sdp/index.js';

/** Drop keys whose value is undefined (the parser never writes them). */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`{|}~-]{1,10}$/);
const digits = fc.stringMatching(/^[0-9]{1,24}$/);
/** Free text: anything but the line framing characters. */
const text = fc.string({ unit: 'binary', maxLength: 24 }).filter((s) => !/[\r\n\0]/.test(s));

const ip4: fc.Arbitrary<Connection> = fc
  .tuple(
    fc.oneof(fc.ipV4(), fc.domain()),
    opt(fc.tuple(fc.integer({ min: 0, max: 255 }), opt(fc.integer({ min: 1, max: 1000 })))),
  )
  .map(([address, mc]) => compact({ netType: 'IN', addrType: 'IP4', address, ttl: mc?.[0], count: mc?.[1] }));
const ip6: fc.Arbitrary<Connection> = fc
  .tuple(fc.ipV6(), opt(fc.integer({ min: 1, max: 1000 })))
  .map(([address, count]) => compact({ netType: 'IN', addrType: 'IP6', address, count }));
const otherNet: fc.Arbitrary<Connection> = fc
  .tuple(
    token,
    token.filter((t) => t !== 'IP4' && t !== 'IP6'),
    token,
  )
  .map(([netType, addrType, address]) => ({ netType, addrType, address }));
const connection = fc.oneof(ip4, ip6, otherNet);

const bandwidth = fc.record({ type: token, bandwidth: fc.nat() });
const key = fc.record({ method: token, key: text }, { requiredKeys: ['method'] });
const attribute = fc.record({ name: token, value: text }, { requiredKeys: ['name'] });
const typedTime = fc.stringMatching(/^[0-9]{1,6}[dhms]?$/);
const timing = fc.record(
  {
    start: digits,
    stop: digits,
    repeats: fc.array(
      fc.record({
        interval: typedTime,
        duration: typedTime,
        offsets: fc.array(typedTime, { minLength: 1, maxLength: 3 }),
      }),
      { maxLength: 2 },
    ),
    zones: fc.array(fc.record({ time: digits, offset: fc.stringMatching(/^-?[0-9]{1,6}[dhms]?$/) }), {
      minLength: 1,
      maxLength: 3,
    }),
  },
  { requiredKeys: ['start', 'stop', 'repeats'] },
);
const media = fc.record(
  {
    media: token,
    port: fc.integer({ min: 0, max: 65535 }),
    portCount: fc.integer({ min: 1, max: 65535 }),
    proto: fc.stringMatching(/^[A-Za-z0-9]{1,5}(\/[A-Za-z0-9]{1,5}){0,3}$/),
    formats: fc.array(token, { minLength: 1, maxLength: 5 }),
    title: text,
    connections: fc.array(connection, { maxLength: 2 }),
    bandwidths: fc.array(bandwidth, { maxLength: 2 }),
    key,
    attributes: fc.array(attribute, { maxLength: 6 }),
  },
  { requiredKeys: ['media', 'port', 'proto', 'formats', 'connections', 'bandwidths', 'attributes'] },
);
/** fc.record builds null-prototype objects; the parser builds plain ones. */
const plain = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
const session: fc.Arbitrary<SessionDescription> = fc
  .record(
    {
      version: fc.constant(0 as const),
      origin: fc.record({
        username: token,
        sessionId: digits,
        sessionVersion: digits,
        netType: fc.constant('IN'),
        addrType: fc.constantFrom('IP4', 'IP6'),
        address: fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain()),
      }),
      sessionName: text,
      information: text,
      uri: text,
      emails: fc.array(text, { maxLength: 2 }),
      phones: fc.array(text, { maxLength: 2 }),
      connection,
      bandwidths: fc.array(bandwidth, { maxLength: 2 }),
      timing: fc.array(timing, { minLength: 1, maxLength: 3 }),
      key,
      attributes: fc.array(attribute, { maxLength: 6 }),
      media: fc.array(media, { maxLength: 4 }),
    },
    {
      requiredKeys: [
        'version',
        'origin',
        'sessionName',
        'emails',
        'phones',
        'bandwidths',
        'timing',
        'attributes',
        'media',
      ],
    },
  )
  .map(plain);

test('property: parse(serialize(sd)) gives sd back, and serialize(parse(x)) is byte-identical', () => {
  fc.assert(
    fc.property(session, (sd) => {
      const wire = serializeSdp(sd);
      assert.ok(wire.endsWith('\r\n') && !/[^\r]\n/.test(wire), 'CRLF only');
      const back = parseSdp(wire);
      assert.deepStrictEqual(back, sd);
      assert.equal(serializeSdp(back), wire);
      assert.equal(serializeSdp(parseSdp(wire.replaceAll('\r\n', '\n'))), wire, 'LF-only input');
    }),
    { numRuns: 400 },
  );
});

const onlySdpParseError = (input: string | Uint8Array) => {
  try {
    const sd = parseSdp(input);
    // whatever is accepted serialises to something that parses to the same model
    assert.deepStrictEqual(parseSdp(serializeSdp(sd)), sd);
  } catch (e) {
    if (!(e instanceof SdpParseError)) throw e;
    assert.ok(Number.isInteger(e.line) && e.line >= 1);
  }
};

test('property: arbitrary text and bytes throw nothing but SdpParseError', () => {
  const line = fc
    .tuple(
      fc.constantFrom(...'vosiuepcbtrzkamqV '),
      fc.constantFrom('=', '', ' ='),
      fc.string({ unit: 'binary', maxLength: 30 }),
    )
    .map(([t, eq, v]) => t + eq + v);
  fc.assert(
    fc.property(fc.array(line, { maxLength: 12 }), fc.constantFrom('\r\n', '\n', '\r'), (lines, eol) =>
      onlySdpParseError(['v=0', ...lines].join(eol)),
    ),
    { numRuns: 500 },
  );
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), onlySdpParseError), { numRuns: 300 });
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), onlySdpParseError), { numRuns: 300 });
});

test('property: random edits of a valid description throw nothing but SdpParseError', () => {
  const base =
    [
      'v=0',
      'o=- 1 2 IN IP4 192.0.2.1',
      's=-',
      'c=IN IP4 233.252.0.1/127/3',
      'b=AS:64',
      't=0 0',
      'r=7d 1h 0 25h',
      'z=2882844526 -1h',
      'a=group:BUNDLE 0',
      'm=audio 49170/2 RTP/AVP 0 101',
      'c=IN IP6 2001:db8::1',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
      'a=sendonly',
    ].join('\r\n') + '\r\n';
  const edit = fc.tuple(
    fc.nat({ max: base.length }),
    fc.nat({ max: 8 }),
    fc.string({ unit: fc.constantFrom(...'=: /0123456789.\r\nabcmtvIP4-[]'), maxLength: 6 }),
  );
  fc.assert(
    fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
      let s = base;
      for (const [at, del, ins] of edits) s = s.slice(0, at) + ins + s.slice(at + del);
      onlySdpParseError(s);
    }),
    { numRuns: 1000 },
  );
});
