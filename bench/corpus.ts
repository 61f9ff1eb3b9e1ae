import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

const SDP = [
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 192.0.2.101',
  's=-',
  'c=IN IP4 192.0.2.101',
  't=0 0',
  'm=audio 49172 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=sendrecv',
  '',
].join('\r\n');
const VIAS = [
  'Via: SIP/2.0/TLS ss2.biloxi.example.com:5061;branch=z9hG4bK721e418c4.1',
  'Via: SIP/2.0/TLS ss1.atlanta.example.com:5061;branch=z9hG4bK2d4790.1;received=192.0.2.111',
  'Via: SIP/2.0/TLS client.atlanta.example.com:5061;branch=z9hG4bK74bf9;received=192.0.2.101;rport=5061',
];
const RR = ['Record-Route: <sips:ss2.biloxi.example.com;lr>', 'Record-Route: <sips:ss1.atlanta.example.com;lr>'];
const DIALOG = [
  'From: "Alice" <sips:alice@atlanta.example.com>;tag=9fxced76sl',
  'To: "Bob" <sips:bob@biloxi.example.com>;tag=314159',
  'Call-ID: 3848276298220188511@atlanta.example.com',
];

function msg(start: string, headers: string[], body = ''): Buffer {
  return Buffer.from([start, ...headers, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n'));
}

/** Realistic messages of a call with hold and transfer, plus the torture vectors every parser here accepts. */
export function realistic(): { name: string; bytes: Buffer }[] {
  const invite = [
    'From: "Alice" <sips:alice@atlanta.example.com>;tag=9fxced76sl',
    'To: "Bob" <sips:bob@biloxi.example.com>',
    'Call-ID: 3848276298220188511@atlanta.example.com',
    'CSeq: 1 INVITE',
    'Max-Forwards: 68',
    'Contact: <sips:alice@client.atlanta.example.com;transport=tls>',
    'Route: <sips:ss2.biloxi.example.com;lr>',
    'Allow: INVITE, ACK, CANCEL, BYE, REFER, NOTIFY, OPTIONS',
    'Supported: replaces, norefersub',
    'Content-Type: application/sdp',
  ];
  return [
    { name: 'INVITE+SDP', bytes: msg('INVITE sips:bob@biloxi.example.com SIP/2.0', [...VIAS, ...RR, ...invite], SDP) },
    {
      name: '100',
      bytes: msg('SIP/2.0 100 Trying', [
        ...VIAS,
        DIALOG[0]!,
        'To: "Bob" <sips:bob@biloxi.example.com>',
        DIALOG[2]!,
        'CSeq: 1 INVITE',
      ]),
    },
    {
      name: '180',
      bytes: msg('SIP/2.0 180 Ringing', [
        ...VIAS,
        ...RR,
        ...DIALOG,
        'CSeq: 1 INVITE',
        'Contact: <sips:bob@client.biloxi.example.com>',
      ]),
    },
    {
      name: '200+SDP',
      bytes: msg(
        'SIP/2.0 200 OK',
        [
          ...VIAS,
          ...RR,
          ...DIALOG,
          'CSeq: 1 INVITE',
          'Contact: <sips:bob@client.biloxi.example.com>',
          'Content-Type: application/sdp',
        ],
        SDP.replace('sendrecv', 'recvonly'),
      ),
    },
    {
      name: 'ACK',
      bytes: msg('ACK sips:bob@client.biloxi.example.com SIP/2.0', [
        VIAS[2]!,
        'Route: <sips:ss1.atlanta.example.com;lr>',
        'Route: <sips:ss2.biloxi.example.com;lr>',
        'Max-Forwards: 70',
        ...DIALOG,
        'CSeq: 1 ACK',
      ]),
    },
    {
      name: 'BYE',
      bytes: msg('BYE sips:alice@client.atlanta.example.com SIP/2.0', [
        ...VIAS,
        'Max-Forwards: 68',
        ...DIALOG,
        'CSeq: 231 BYE',
      ]),
    },
    {
      name: 'REFER',
      bytes: msg('REFER sips:bob@client.biloxi.example.com SIP/2.0', [
        ...VIAS,
        'Max-Forwards: 68',
        ...DIALOG,
        'CSeq: 2 REFER',
        'Contact: <sips:alice@client.atlanta.example.com>',
        'Refer-To: <sips:carol@chicago.example.com?Replaces=12345%40192.0.2.5%3Bto-tag%3D7743%3Bfrom-tag%3D6472>',
        'Referred-By: <sips:alice@atlanta.example.com>',
      ]),
    },
    {
      name: 'NOTIFY+sipfrag',
      bytes: msg(
        'NOTIFY sips:alice@client.atlanta.example.com SIP/2.0',
        [
          ...VIAS,
          'Max-Forwards: 68',
          ...DIALOG,
          'CSeq: 12 NOTIFY',
          'Contact: <sips:bob@client.biloxi.example.com>',
          'Event: refer',
          'Subscription-State: terminated;reason=noresource',
          'Content-Type: message/sipfrag;version=2.0',
        ],
        'SIP/2.0 200 OK\r\n',
      ),
    },
    {
      name: 'REGISTER',
      bytes: msg('REGISTER sips:atlanta.example.com SIP/2.0', [
        VIAS[2]!,
        'Max-Forwards: 70',
        'From: <sips:alice@atlanta.example.com>;tag=a73kszlfl',
        'To: <sips:alice@atlanta.example.com>',
        'Call-ID: 1j9FpLxk3uxtm8tn@client.atlanta.example.com',
        'CSeq: 2 REGISTER',
        'Contact: <sips:alice@client.atlanta.example.com>;expires=3600',
        'Authorization: Digest username="alice", realm="atlanta.example.com", nonce="ea9c8e88df84f1cec4341ae6cbe5a359", opaque="", uri="sips:atlanta.example.com", response="dfe56131d1958046689d83306477ecc", algorithm=MD5',
      ]),
    },
    {
      name: '401',
      bytes: msg('SIP/2.0 401 Unauthorized', [
        VIAS[2]!,
        'From: <sips:alice@atlanta.example.com>;tag=a73kszlfl',
        'To: <sips:alice@atlanta.example.com>;tag=1410948204',
        'Call-ID: 1j9FpLxk3uxtm8tn@client.atlanta.example.com',
        'CSeq: 1 REGISTER',
        'WWW-Authenticate: Digest realm="atlanta.example.com", qop="auth", nonce="ea9c8e88df84f1cec4341ae6cbe5a359", opaque="", stale=FALSE, algorithm=MD5',
      ]),
    },
    {
      name: 'OPTIONS',
      bytes: msg('OPTIONS sips:carol@chicago.example.com SIP/2.0', [
        ...VIAS,
        'Max-Forwards: 70',
        'From: "Alice" <sips:alice@atlanta.example.com>;tag=1928301774',
        'To: <sips:carol@chicago.example.com>',
        'Call-ID: a84b4c76e66710',
        'CSeq: 63104 OPTIONS',
        'Contact: <sips:alice@pc33.atlanta.example.com>',
        'Accept: application/sdp',
      ]),
    },
  ];
}

export function vectors(): { name: string; bytes: Buffer }[] {
  const out: { name: string; bytes: Buffer }[] = [];
  for (const set of ['rfc4475', 'rfc5118']) {
    const dir = `${root}test/vectors/${set}/`;
    const manifest = JSON.parse(readFileSync(dir + 'manifest.json', 'utf8')) as { file: string; parser: string }[];
    for (const e of manifest)
      if (e.parser === 'accept') out.push({ name: `${set}/${e.file}`, bytes: readFileSync(dir + e.file) });
  }
  return out;
}
