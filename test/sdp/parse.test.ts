import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SdpParseError, parseSdp, serializeSdp } from '../../src/sdp/index.js';

const crlf = (...lines: string[]) => lines.join('\r\n') + '\r\n';

test('RFC 8866 §5 example with every field type round-trips byte for byte', () => {
  const text = crlf(
    'v=0',
    'o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1',
    's=Call to John Smith',
    'i=SDP Offer #1',
    'u=http://www.jdoe.example.com/home.html',
    'e=Jane Doe <jane@jdoe.example.com>',
    'e=j.doe@example.com',
    'p=+1 617 555-6011',
    'c=IN IP4 233.252.0.1/127/3',
    'b=CT:128',
    't=3724394400 3724398000',
    'r=604800 3600 0 90000',
    'r=7d 1h 0 25h',
    'z=2882844526 -1h 2898848070 0',
    't=0 0',
    'k=prompt',
    'a=recvonly',
    'a=tool:x',
    'm=audio 49170 RTP/AVP 0',
    'i=voice',
    'b=AS:64',
    'k=clear:s3cr:et',
    'a=rtpmap:0 PCMU/8000',
    'm=video 51372/2 RTP/AVP 99',
    'c=IN IP6 FF1E:DB8::101/3',
    'c=IN IP6 2001:db8::2',
    'a=rtpmap:99 h263-1998/90000',
  );
  const sd = parseSdp(text);
  assert.equal(serializeSdp(sd), text);
  assert.deepEqual(sd.origin, {
    username: 'jdoe',
    sessionId: '3724394400',
    sessionVersion: '3724394405',
    netType: 'IN',
    addrType: 'IP4',
    address: '198.51.100.1',
  });
  assert.equal(sd.sessionName, 'Call to John Smith');
  assert.equal(sd.information, 'SDP Offer #1');
  assert.equal(sd.uri, 'http://www.jdoe.example.com/home.html');
  assert.deepEqual(sd.emails, ['Jane Doe <jane@jdoe.example.com>', 'j.doe@example.com']);
  assert.deepEqual(sd.phones, ['+1 617 555-6011']);
  assert.deepEqual(sd.connection, { netType: 'IN', addrType: 'IP4', address: '233.252.0.1', ttl: 127, count: 3 });
  assert.deepEqual(sd.bandwidths, [{ type: 'CT', bandwidth: 128 }]);
  assert.equal(sd.timing.length, 2);
  assert.deepEqual(sd.timing[0]!.repeats, [
    { interval: '604800', duration: '3600', offsets: ['0', '90000'] },
    { interval: '7d', duration: '1h', offsets: ['0', '25h'] },
  ]);
  assert.deepEqual(sd.timing[0]!.zones, [
    { time: '2882844526', offset: '-1h' },
    { time: '2898848070', offset: '0' },
  ]);
  assert.deepEqual(sd.timing[1], { start: '0', stop: '0', repeats: [] });
  assert.deepEqual(sd.key, { method: 'prompt' });
  assert.deepEqual(sd.attributes, [{ name: 'recvonly' }, { name: 'tool', value: 'x' }]);
  const [audio, video] = sd.media;
  assert.deepEqual(audio, {
    media: 'audio',
    port: 49170,
    proto: 'RTP/AVP',
    formats: ['0'],
    title: 'voice',
    connections: [],
    bandwidths: [{ type: 'AS', bandwidth: 64 }],
    key: { method: 'clear', key: 's3cr:et' },
    attributes: [{ name: 'rtpmap', value: '0 PCMU/8000' }],
  });
  assert.equal(video!.portCount, 2);
  assert.deepEqual(video!.connections, [
    { netType: 'IN', addrType: 'IP6', address: 'FF1E:DB8::101', count: 3 },
    { netType: 'IN', addrType: 'IP6', address: '2001:db8::2' },
  ]);
});

test('RFC 5118 style IPv6 SDP, each m= line with its own c=, 64-bit session id kept exactly', () => {
  const text = crlf(
    'v=0',
    'o=assistant 971731711378798081 0 IN IP6 2001:db8::20',
    "s=Live video feed for today's meeting",
    't=3338481189 3370017201',
    'm=audio 6000 RTP/AVP 2',
    'c=IN IP6 2001:db8::1',
    'a=rtpmap:2 G726-32/8000',
    'm=video 6024 RTP/AVP 107',
    'c=IN IP4 192.0.2.7',
    'a=rtpmap:107 H263-1998/90000',
  );
  const sd = parseSdp(text);
  assert.equal(serializeSdp(sd), text);
  assert.equal(sd.origin.sessionId, '971731711378798081', 'beyond 2^53, so kept as text');
  assert.equal(sd.origin.addrType, 'IP6');
  assert.equal(sd.connection, undefined);
  assert.deepEqual(
    sd.media.map((m) => m.connections[0]!.address),
    ['2001:db8::1', '192.0.2.7'],
  );
  assert.deepEqual(
    sd.media.map((m) => m.connections[0]!.addrType),
    ['IP6', 'IP4'],
  );
});

test('unknown attributes are kept verbatim and in order, including empty values and odd spacing', () => {
  const text = crlf(
    'v=0',
    'o=- 1 1 IN IP4 192.0.2.1',
    's= ',
    't=0 0',
    'a=x-b:  two  spaces ',
    'a=x-a',
    'a=x-c:',
    'm=audio 5 RTP/AVP 0',
    'a=zz:1',
    'a=rtpmap:0 PCMU/8000',
    'a=aa:é ü',
  );
  const sd = parseSdp(text);
  assert.deepEqual(sd.attributes, [
    { name: 'x-b', value: '  two  spaces ' },
    { name: 'x-a' },
    { name: 'x-c', value: '' },
  ]);
  assert.deepEqual(
    sd.media[0]!.attributes.map((a) => a.name),
    ['zz', 'rtpmap', 'aa'],
  );
  assert.equal(sd.sessionName, ' ');
  assert.equal(serializeSdp(sd), text);
  assert.equal(serializeSdp(parseSdp(Buffer.from(text))), text, 'UTF-8 bytes decode to the same text');
});

test('LF-only line ends, a missing final line end and a Buffer are accepted; CRLF is emitted', () => {
  const text = crlf(
    'v=0',
    'o=- 1 2 IN IP4 192.0.2.1',
    's=-',
    'c=IN IP4 192.0.2.1',
    't=0 0',
    'm=audio 4000 RTP/AVP 0 8',
    'a=sendonly',
  );
  assert.equal(serializeSdp(parseSdp(text.replace(/\r\n/g, '\n'))), text);
  assert.equal(serializeSdp(parseSdp(text.slice(0, -2))), text);
  assert.equal(serializeSdp(parseSdp(Buffer.from(text.replace(/\r\n/g, '\n')))), text);
  assert.equal(serializeSdp(parseSdp(new Uint8Array(Buffer.from(text)))), text);
  assert.equal(serializeSdp(parseSdp(text + '\r\n')), text, 'a stray blank line at the end is tolerated');
});

test('lines out of RFC order are accepted and written back in order', () => {
  const sd = parseSdp(
    crlf(
      'v=0',
      's=-',
      'o=- 1 2 IN IP4 192.0.2.1',
      't=0 0',
      'c=IN IP4 192.0.2.1',
      'm=audio 4000 RTP/AVP 0',
      'a=sendrecv',
      'c=IN IP4 192.0.2.2',
    ),
  );
  assert.equal(
    serializeSdp(sd),
    crlf(
      'v=0',
      'o=- 1 2 IN IP4 192.0.2.1',
      's=-',
      'c=IN IP4 192.0.2.1',
      't=0 0',
      'm=audio 4000 RTP/AVP 0',
      'c=IN IP4 192.0.2.2',
      'a=sendrecv',
    ),
  );
});

test('serializeSdp refuses values that would inject lines', () => {
  const sd = parseSdp(crlf('v=0', 'o=- 1 2 IN IP4 192.0.2.1', 's=-', 't=0 0'));
  sd.sessionName = 'x\r\nm=audio 1 RTP/AVP 0';
  assert.throws(() => serializeSdp(sd), RangeError);
});

test('a value that is neither text nor bytes is an SdpParseError too', () => {
  for (const v of [undefined, null, 42, {}, ['v=0']])
    assert.throws(() => parseSdp(v as unknown as string), SdpParseError);
});

const HEAD = ['v=0', 'o=- 1 2 IN IP4 192.0.2.1', 's=-', 't=0 0'];
/** [description, lines, line number of the error, message fragment] */
const MALFORMED: [string, string[], number, RegExp][] = [
  ['empty input', [], 1, /empty/],
  ['wrong version', ['v=1', ...HEAD.slice(1)], 1, /v=0/],
  ['not starting with v=', ['o=- 1 2 IN IP4 192.0.2.1', 's=-', 't=0 0'], 1, /v=0/],
  ['no "=" on a line', [...HEAD, 'hello'], 5, /<type>=<value>/],
  ['upper-case type', [...HEAD, 'A=foo'], 5, /<type>=<value>/],
  ['space before "="', [...HEAD, 'a =foo'], 5, /<type>=<value>/],
  ['unknown type letter', [...HEAD, 'q=foo'], 5, /unknown line type/],
  ['second v=', [...HEAD, 'v=0'], 5, /only once/],
  ['o= with 5 fields', ['v=0', 'o=- 1 2 IN IP4', 's=-', 't=0 0'], 2, /o= needs 6 fields/],
  ['o= version not a number', ['v=0', 'o=- 1 x IN IP4 192.0.2.1', 's=-', 't=0 0'], 2, /session version/],
  ['o= id not a number', ['v=0', 'o=- -1 2 IN IP4 192.0.2.1', 's=-', 't=0 0'], 2, /session id/],
  ['two o=', [...HEAD, 'o=- 1 2 IN IP4 192.0.2.1'], 5, /more than one o=/],
  ['two s=', [...HEAD, 's=again'], 5, /more than one s=/],
  ['missing o=', ['v=0', 's=-', 't=0 0'], 2, /missing o=/],
  ['missing s=', ['v=0', 'o=- 1 2 IN IP4 192.0.2.1', 't=0 0'], 3, /missing s=/],
  ['missing t=', ['v=0', 'o=- 1 2 IN IP4 192.0.2.1', 's=-', 'm=audio 1 RTP/AVP 0'], 4, /missing t=/],
  ['c= with 2 fields', [...HEAD, 'c=IN IP4'], 5, /c= needs 3 fields/],
  ['bracketed IPv6', [...HEAD, 'c=IN IP6 [2001:db8::1]'], 5, /brackets/],
  ['IPv6 address typed IP4', [...HEAD, 'c=IN IP4 2001:db8::1'], 5, /not IPv4/],
  ['TTL out of range', [...HEAD, 'c=IN IP4 233.252.0.1/300'], 5, /TTL 300 is out of range/],
  ['too many IP6 parts', [...HEAD, 'c=IN IP6 ff1e::1/3/4'], 5, /too many/],
  [
    'two session c=',
    ['v=0', 'o=- 1 2 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 'c=IN IP4 192.0.2.2', 't=0 0'],
    5,
    /more than one session-level c=/,
  ],
  ['b= without colon', [...HEAD, 'b=AS'], 5, /b= needs/],
  ['b= bandwidth not a number', [...HEAD, 'b=AS:fast'], 5, /bandwidth "fast" is not a number/],
  ['t= with one field', ['v=0', 'o=- 1 2 IN IP4 192.0.2.1', 's=-', 't=0'], 4, /t= needs 2 fields/],
  ['t= not numbers', ['v=0', 'o=- 1 2 IN IP4 192.0.2.1', 's=-', 't=now later'], 4, /numbers/],
  ['r= before t=', ['v=0', 'o=- 1 2 IN IP4 192.0.2.1', 's=-', 'r=7d 1h 0', 't=0 0'], 4, /r= must follow a t=/],
  ['r= bad typed time', [...HEAD, 'r=7w 1h 0'], 5, /typed time/],
  ['z= odd field count', [...HEAD, 'z=2882844526'], 5, /pairs/],
  ['attribute with empty name', [...HEAD, 'a=:x'], 5, /attribute name/],
  ['empty attribute', [...HEAD, 'a='], 5, /attribute name/],
  ['m= port not a number', [...HEAD, 'm=audio x RTP/AVP 0'], 5, /port "x" is not a number/],
  ['m= port out of range', [...HEAD, 'm=audio 70000 RTP/AVP 0'], 5, /out of range/],
  ['m= without formats', [...HEAD, 'm=audio 4000 RTP/AVP'], 5, /at least one format/],
  ['m= port count zero', [...HEAD, 'm=video 4000/0 RTP/AVP 31'], 5, /number of ports/],
  ['m= bad proto', [...HEAD, 'm=audio 4000 RTP//AVP 0'], 5, /proto/],
  [
    't= inside a media description',
    [...HEAD, 'm=audio 4000 RTP/AVP 0', 't=0 0'],
    6,
    /not allowed in a media description/,
  ],
  ['two i= in a media description', [...HEAD, 'm=audio 4000 RTP/AVP 0', 'i=a', 'i=b'], 7, /more than one i=/],
  ['blank line in the middle', ['v=0', 'o=- 1 2 IN IP4 192.0.2.1', '', 's=-', 't=0 0'], 3, /empty line/],
  ['bare CR inside a line', ['v=0', 'o=- 1 2 IN IP4 192.0.2.1', 's=a\rb', 't=0 0'], 3, /bare CR/],
  ['NUL character', ['v=0', 'o=- 1 2 IN IP4 192.0.2.1', 's=a\0b', 't=0 0'], 3, /NUL/],
];

for (const [what, lines, line, message] of MALFORMED) {
  test(`malformed: ${what} → SdpParseError at line ${line}`, () => {
    const text = lines.length ? lines.join('\r\n') + '\r\n' : '';
    assert.throws(
      () => parseSdp(text),
      (e: unknown) => {
        assert.ok(e instanceof SdpParseError, `got ${String(e)}`);
        assert.equal(e.line, line);
        assert.match(e.reason, message);
        assert.match(e.message, new RegExp(`\\(SDP line ${line}\\)$`));
        return true;
      },
    );
  });
}

test('fields split on runs of spaces and ignore padding; a line type outside a–z or not allowed in m= fails with its line', () => {
  const sd = parseSdp(
    crlf('v=0', 'o=-  1 2 IN IP4  192.0.2.1 ', 's=-', 'c=IN  IP4 192.0.2.1', 't=0   0', 'm=audio  4000 RTP/AVP  0 8'),
  );
  assert.equal(sd.origin.address, '192.0.2.1');
  assert.equal(sd.origin.sessionVersion, '2');
  assert.equal(sd.connection?.addrType, 'IP4');
  assert.deepEqual(sd.timing[0], { start: '0', stop: '0', repeats: [] });
  assert.deepEqual(sd.media[0]!.formats, ['0', '8']);
  assert.equal(sd.media[0]!.port, 4000);
  for (const [lines, line, re] of [
    [['v=0', 'o=- 1 2 IN IP4 192.0.2.1', 's=-', 't=0 0', 'X=1'], 5, /expected "<type>=<value>"/],
    [['v=0', 'o=- 1 2 IN IP4 192.0.2.1', 's=-', 't=0 0', 'm=audio 1 RTP/AVP 0', 't=0 0'], 6, /not allowed in a media/],
    [['v=0', 'o=- 1 2 IN IP4 192.0.2.1', 's=-', 't=0 0', 'y=1'], 5, /unknown line type "y="/],
  ] as const) {
    assert.throws(
      () => parseSdp(crlf(...lines)),
      (e: unknown) => e instanceof SdpParseError && e.line === line && re.test(e.message),
    );
  }
});
