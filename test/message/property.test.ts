/** Property tests: generated messages round-trip; mutated vectors only ever raise SipParseError. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  SipParseError,
  SipRequest,
  SipResponse,
  createRequest,
  createResponse,
  createVia,
  parseMessage,
  StreamFramer,
} from '../../src/index.js';
import { loadManifest, loadVector } from '../helpers/vectors.js';
import { fastVia, parseVia } from '../../src/message/headers/via.js';
import {
  fastNameAddr,
  parseContact,
  parseNameAddr,
  parseNameAddrAt,
  parseNameAddrList,
} from '../../src/message/headers/name-addr.js';
import { Scanner } from '../../src/message/scanner.js';
import { unfold } from '../../src/message/message.js';
import { latin1Bytes } from '../../src/message/chars.js';
import { Params } from '../../src/message/params.js';
import { AuthHeader, authGeneral, fastAuth, parseAuth } from '../../src/message/headers/auth.js';
import {
  parseAccept,
  parseCallId,
  parseContentType,
  parseSubscriptionState,
  parseTokenList,
  parseTokenParams,
} from '../../src/message/headers/simple.js';

const token = fc.stringMatching(/^[A-Za-z0-9.!%*_+`'~-]{1,12}$/);
const host = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9](\.[a-z][a-z0-9]{1,8}){1,3}$/),
  fc.ipV4(),
  fc.ipV6().map((a) => `[${a}]`),
);
const user = fc.stringMatching(/^[A-Za-z0-9_.!~*'()&=+$,;?/-]{1,16}$/);
const display = fc.option(
  fc.string({ maxLength: 20 }).filter((s) => !/[\x00-\x1f\x7f\\"]/.test(s)),
  { nil: undefined },
);
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
const uri = fc
  .record({ scheme: fc.constantFrom('sip', 'sips'), user, host, port })
  .map((u) => `${u.scheme}:${u.user}@${u.host}${u.port ? `:${u.port}` : ''}`);
const method = fc.constantFrom('INVITE', 'BYE', 'REFER', 'NOTIFY', 'OPTIONS', 'REGISTER', 'MESSAGE');

const request = fc.record({
  method,
  ruri: uri,
  from: uri,
  to: uri,
  fromName: display,
  cseq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  body: fc.string({ maxLength: 200 }),
  extra: fc.array(
    fc.tuple(
      token.map((t) => `X-${t}`),
      fc.stringMatching(/^[!-~]([ -~]{0,30}[!-~])?$/),
    ),
    { maxLength: 4 },
  ),
  viaHost: host,
});

test('property: parse(serialise(request)) preserves every field', () => {
  fc.assert(
    fc.property(request, (r) => {
      const req = createRequest({
        method: r.method,
        uri: r.ruri,
        from: r.fromName === undefined ? `<${r.from}>` : `"${r.fromName}" <${r.from}>`,
        to: `<${r.to}>`,
        cseq: r.cseq,
        via: createVia('UDP', r.viaHost.replace(/^\[|\]$/g, ''), 5060),
        headers: r.extra,
        body: r.body,
        contentType: r.body ? 'text/plain' : undefined,
      });
      const bytes = req.toBuffer();
      const back = parseMessage(bytes) as SipRequest;
      assert.equal(back.method, r.method);
      assert.equal(back.uri.toString(), r.ruri);
      assert.equal(back.from!.uri.toString(), r.from);
      assert.equal(back.from!.displayName, r.fromName);
      assert.equal(back.to!.uri.toString(), r.to);
      assert.equal(back.cseq!.seq, r.cseq);
      assert.equal(back.body.toString('utf8'), r.body);
      for (const [n, v] of r.extra) assert.ok(back.getAll(n).includes(v));
      // and serialising the parsed message again gives the same bytes
      assert.ok(back.toBuffer().equals(bytes));
      const res = createResponse(back, 200);
      const resBack = parseMessage(res.toBuffer());
      assert.equal(resBack.callId, back.callId);
    }),
    { numRuns: 300 },
  );
});

const vectors = [
  ...loadManifest('rfc4475').map((e) => loadVector('rfc4475', e.file)),
  ...loadManifest('rfc5118').map((e) => loadVector('rfc5118', e.file)),
];

test('property: mutated vectors never throw anything but SipParseError, and never hang', () => {
  const mutation = fc.record({
    which: fc.integer({ min: 0, max: vectors.length - 1 }),
    edits: fc.array(
      fc.record({
        at: fc.nat(),
        kind: fc.constantFrom('flip', 'delete', 'insert', 'truncate', 'dup'),
        byte: fc.constantFrom(0, 9, 10, 13, 32, 34, 44, 58, 59, 60, 62, 64, 91, 93, 37, 0xff, 0x80),
      }),
      { minLength: 1, maxLength: 6 },
    ),
  });
  fc.assert(
    fc.property(mutation, ({ which, edits }) => {
      let b = Buffer.from(vectors[which]!);
      for (const e of edits) {
        const at = b.length ? e.at % b.length : 0;
        if (e.kind === 'flip') b[at] = e.byte;
        else if (e.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
        else if (e.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from([e.byte]), b.subarray(at)]);
        else if (e.kind === 'truncate') b = b.subarray(0, at);
        else b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + 40), b.subarray(at)]);
      }
      const t0 = performance.now();
      for (const lazy of [false, true]) {
        try {
          const m = parseMessage(b, { lazy });
          // a proxy's reads on the parsed index, before the fields are materialised
          for (const read of [
            () => m.topVia,
            () => m.route,
            () => m.cseq,
            () => m.callId,
            () => m.maxForwards,
            () => m.get('v'),
            () => m.count('Route'),
            () => m.getAll('Subject'),
            () => m.has('X-Custom'),
            () => (m.isRequest ? (m as SipRequest).uri : 0),
            () => m.body.length,
          ]) {
            try {
              read();
            } catch (e) {
              if (!(e instanceof SipParseError)) throw e;
            }
          }
          // touching every typed header must also raise only SipParseError
          for (const h of m.headers) {
            try {
              m.typed(h.key);
            } catch (e) {
              if (!(e instanceof SipParseError) && !/no typed parser/.test((e as Error).message)) throw e;
            }
          }
          m.toBuffer();
        } catch (e) {
          if (!(e instanceof SipParseError)) throw e;
        }
      }
      try {
        new StreamFramer().push(b);
      } catch (e) {
        if (!(e instanceof SipParseError)) throw e;
      }
      // "never hang": a generous bound that only a pathological (e.g. quadratic) path would hit
      assert.ok(performance.now() - t0 < 1000);
    }),
    { numRuns: 2000 },
  );
});

test('Via: the one-pass fast path and the full scanner give the same result (fast-check)', () => {
  const label = fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,6}[A-Za-z0-9])?$/);
  const token = fc.stringMatching(/^[A-Za-z0-9\-.!%*_+`'~]{1,10}$/);
  const param = fc.tuple(
    fc.oneof(token, fc.constantFrom('branch', 'rport', 'ttl', 'received', 'maddr')),
    fc.option(fc.stringMatching(/^[A-Za-z0-9\-.!%*_+`'~:[\]]{0,12}$/)),
  );
  const via = fc
    .tuple(
      fc.constantFrom('UDP', 'TCP', 'TLS', 'WS', 'WSS', 'SCTP'),
      fc.oneof(
        { arbitrary: fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.')), weight: 4 },
        { arbitrary: fc.ipV6().map((a) => `[${a}]`), weight: 1 },
        { arbitrary: fc.constantFrom('[::1', '[1:2]', '[::ffff:1.2.3.4]'), weight: 1 },
      ),
      fc.option(fc.integer({ min: 0, max: 99999 })),
      fc.array(param, { maxLength: 4 }),
    )
    .map(
      ([t, host, port, params]) =>
        `SIP/2.0/${t} ${host}${port === null ? '' : `:${port}`}${params.map(([n, v]) => (v === null ? `;${n}` : `;${n}=${v}`)).join('')}`,
    );
  const outcome = (v: string) => {
    try {
      return { ok: JSON.stringify(parseVia(v).map((x) => x.toJSON())) };
    } catch (e) {
      return { error: e instanceof SipParseError };
    }
  };
  let fast = 0;
  fc.assert(
    fc.property(via, (v) => {
      if (fastVia(v)) fast++;
      // two spaces before sent-by keep the value valid but send it through the full scanner
      assert.deepEqual(outcome(v), outcome(v.replace(' ', '  ')));
    }),
    { numRuns: 3000, seed: 3261 },
  );
  assert.ok(fast > 1000, `the fast path took only ${fast} of 3000 values`);
});

test('name-addr: the one-pass fast path and the general scanner give the same result (fast-check)', () => {
  // the general path alone, as parseNameAddr ran it before the fast path existed
  const general = (v: string) => {
    const sc = new Scanner(v);
    const na = parseNameAddrAt(sc);
    sc.ws();
    if (!sc.atEnd) sc.fail('unexpected character');
    return na;
  };
  const outcome = (f: () => { toJSON(): unknown; toString(): string; angle: boolean }) => {
    try {
      const na = f();
      return { ok: JSON.stringify(na.toJSON()), text: na.toString(), angle: na.angle };
    } catch (e) {
      return { error: e instanceof SipParseError };
    }
  };
  const text = fc.stringMatching(/^[ -~\x80-\xff]{0,12}$/);
  const displayPart = fc.oneof(
    fc.constant(''),
    text.map((t) => `"${t}" `),
    text.map((t) => `"${t}"`),
    fc.array(token, { minLength: 1, maxLength: 3 }).map((ts) => `${ts.join(' ')} `),
    token,
  );
  // mostly valid values, so that both paths get past the first octets; a minority of odd ones
  const word = fc.oneof(
    { arbitrary: fc.stringMatching(/^[A-Za-z0-9._~-]{1,8}$/), weight: 4 },
    { arbitrary: token, weight: 1 },
  );
  const uriUser = fc.oneof(
    { arbitrary: fc.stringMatching(/^[A-Za-z0-9_.!~*'()&=+$-]{1,10}$/), weight: 4 },
    { arbitrary: user, weight: 1 },
  );
  const uriParam = fc
    .tuple(
      word,
      fc.option(
        fc.oneof(
          { arbitrary: word, weight: 4 },
          { arbitrary: fc.stringMatching(/^[A-Za-z0-9%:&+$[\]/-]{0,8}$/), weight: 1 },
        ),
      ),
    )
    .map(([n, v]) => (v === null ? `;${n}` : `;${n}=${v}`));
  const sipUri = fc
    .tuple(
      fc.constantFrom('sip', 'sip', 'sip', 'sips', 'sips', 'SIP', 'Sips', 'tel', 'sipx'),
      fc.option(uriUser),
      host,
      port,
      fc.array(uriParam, { maxLength: 3 }),
      fc.option(fc.stringMatching(/^[A-Za-z]{1,6}=[A-Za-z0-9%]{0,8}$/)),
    )
    .map(
      ([sc, u, h, pt, ps, hd]) =>
        `${sc}:${u === null ? '' : `${u}@`}${h}${pt ? `:${pt}` : ''}${ps.join('')}${hd === null ? '' : `?${hd}`}`,
    );
  const headerParam = fc
    .tuple(
      fc.constantFrom('', '', '', ' '),
      word,
      fc.option(fc.oneof({ arbitrary: word, weight: 6 }, { arbitrary: fc.constantFrom('"q v"', '[::1]'), weight: 1 })),
    )
    .map(([sp, n, v]) => `${sp};${n}${v === null ? '' : `=${v}`}`);
  const value = fc
    .tuple(
      displayPart,
      fc.boolean(),
      sipUri,
      fc.array(headerParam, { maxLength: 3 }),
      fc.constantFrom('', '', '', '', '', ' ', '<', ',x'),
    )
    .map(([d, angle, u, ps, tail]) => `${d}${angle ? `<${u}>` : u}${ps.join('')}${tail}`);
  let fast = 0;
  fc.assert(
    fc.property(value, (v) => {
      if (fastNameAddr(v, latin1Bytes(v), 0, 0, v.length)) fast++;
      assert.deepEqual(
        outcome(() => parseNameAddr(v)),
        outcome(() => general(v)),
        v,
      );
    }),
    { numRuns: 5000, seed: 3261 },
  );
  assert.ok(fast > 250, `the fast path took only ${fast} of 5000 values`);
});

test('header values scanned in place in a message parse as they do on their own, faults at the same octet (fast-check)', () => {
  // In a parsed message the scanners read each value's octets from the message buffer, where
  // more octets follow the value; on their own they read a copy that ends with it. Any read past
  // a value's end would make the two differ.
  const headers: [string, (m: SipRequest) => unknown, (v: string) => unknown][] = [
    ['From', (m) => m.from, (v) => parseNameAddr(v)],
    ['Contact', (m) => m.contact, (v) => parseContact(v)],
    ['Route', (m) => m.route, (v) => parseNameAddrList(v)],
    ['Via', (m) => m.via, (v) => parseVia(v)],
    ['Content-Type', (m) => m.contentType, (v) => parseContentType(v)],
    ['Refer-To', (m) => m.referTo, (v) => parseNameAddr(v)],
    ['Call-ID', (m) => m.callId, (v) => parseCallId(v)],
    ['Allow', (m) => m.allow, (v) => parseTokenList(v)],
    ['Accept', (m) => m.accept, (v) => parseAccept(v)],
  ];
  const seeds = [
    '"A b" <sip:alice:pw@atlanta.example.com:5060;transport=tcp;lr?Replaces=a%40b>;tag=x;q=0.5',
    'sip:bob@[2001:db8::1]:5061;maddr=239.255.255.1',
    '<sips:%61lice@h.example.com;x=%41>, Bob <sip:b@h>;expires=3600',
    'SIP/2.0/UDP h.example.com:5060;branch=z9hG4bK1;received=192.0.2.1;rport',
    'SIP / 2.0 / TCP [2001:db8::9:1] : 6050 ; branch = z9hG4bK2, SIP/2.0/TLS a.b;ttl=16',
    'application/sdp;charset="utf-8";x=y',
    'a84b4c76e66710@pc33.atlanta.example.com',
    'INVITE, ACK ,BYE,OPTIONS',
    'application/sdp, multipart/mixed;boundary=x , text/plain',
  ];
  // what follows a value in a message: trailing LWS (trimmed off the value), then CRLF
  const tails = fc.constantFrom('', ' ', '\t', ' \t ');
  const value = fc
    .tuple(
      fc.constantFrom(...seeds),
      fc.nat(200),
      fc.nat(3),
      fc.array(fc.constantFrom(';', '>', ':', '@', '"', '%4', '[', ' ', 'x', '-', '.', ','), { maxLength: 2 }),
    )
    .map(([s, at, del, ins]) => {
      const i = at % (s.length + 1);
      return (s.slice(0, i) + ins.join('') + s.slice(i + del)).trim();
    })
    .filter((v) => v.length > 0);
  const outcome = (f: () => unknown, base: number) => {
    try {
      const r = f();
      const json = (x: unknown) =>
        typeof x === 'object' && x !== null && 'toJSON' in x ? (x as { toJSON(): unknown }).toJSON() : x;
      return {
        ok: JSON.stringify(Array.isArray(r) ? r.map(json) : json(r), (_k, x: unknown) =>
          x instanceof Params ? x.toJSON() : x,
        ),
      };
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
      // the message names the header in front of the reason
      return { fault: e.reason.replace(/^[A-Za-z-]+: /, ''), at: e.offset - base };
    }
  };
  fc.assert(
    fc.property(fc.constantFrom(...headers), value, tails, ([name, get, alone], v, tail) => {
      const head = `OPTIONS sip:o@h SIP/2.0\r\n${name}: ${v}${tail}\r\nContent-Length: 0\r\n\r\n`;
      const at = head.indexOf(': ') + 2;
      const inPlace = outcome(() => get(parseMessage(Buffer.from(head, 'latin1'), { lazy: true }) as SipRequest), at);
      assert.deepEqual(
        inPlace,
        outcome(() => alone(v), 0),
        JSON.stringify(v),
      );
      // the eager parse reads some of these in place too (fastViaAt, fastNameAddr on the section)
      assert.deepEqual(
        outcome(() => get(parseMessage(Buffer.from(head, 'latin1')) as SipRequest), at),
        inPlace,
        `eager: ${JSON.stringify(v)}`,
      );
    }),
    { numRuns: 3000, seed: 4475 },
  );
});

test('unfold equals the two regexps it replaced: each [LWS] CRLF 1*WSP is one SP, then outer LWS trimmed (fast-check)', () => {
  const regexps = (v: string) => v.replace(/[ \t]*\r?\n[ \t]+/g, ' ').replace(/^[ \t]+|[ \t]+$/g, '');
  const text = fc
    .array(fc.constantFrom(' ', '\t', '\r', '\n', '\r\n ', 'a', 'b;c'), { maxLength: 24 })
    .map((xs) => xs.join(''));
  fc.assert(
    fc.property(text, (v) => {
      assert.equal(unfold(v), regexps(v), JSON.stringify(v));
    }),
    { numRuns: 5000, seed: 3261 },
  );
});

test('Content-Type and Accept: the one-pass path and the general scanner give the same result (fast-check)', () => {
  // LWS after "/" keeps a media type valid but sends it through the general scanner
  const tok = fc.oneof(
    { arbitrary: fc.stringMatching(/^[a-z0-9.+-]{1,8}$/), weight: 4 },
    { arbitrary: token, weight: 1 },
  );
  const param = fc
    .tuple(
      tok,
      fc.option(
        fc.oneof({ arbitrary: tok, weight: 4 }, { arbitrary: fc.constantFrom('"q v"', '[::1]', ''), weight: 1 }),
      ),
    )
    .map(([n, v]) => (v === null ? `;${n}` : `;${n}=${v}`));
  const media = fc
    .tuple(tok, fc.constantFrom('/', '/', '/', '', ' /'), tok, fc.array(param, { maxLength: 3 }))
    .map(([t, sl, st, ps]) => `${t}${sl}${st}${ps.join('')}`);
  const list = fc
    .tuple(fc.array(media, { minLength: 1, maxLength: 3 }), fc.constantFrom(',', ', ', ' , ', ',,'))
    .map(([ms, sep]) => ms.join(sep));
  const outcome = (f: () => unknown) => {
    try {
      return {
        ok: JSON.stringify(f(), (_k, v: unknown) =>
          v && typeof v === 'object' && 'list' in v ? (v as { list: unknown }).list : v,
        ),
      };
    } catch (e) {
      return { error: e instanceof SipParseError };
    }
  };
  const general = (v: string) => v.replace(/\//g, '/ ');
  fc.assert(
    fc.property(media, list, (m, l) => {
      assert.deepEqual(
        outcome(() => parseContentType(m)),
        outcome(() => parseContentType(general(m))),
        m,
      );
      assert.deepEqual(
        outcome(() => parseAccept(l)),
        outcome(() => parseAccept(general(l))),
        l,
      );
    }),
    { numRuns: 3000, seed: 3261 },
  );
});

test('Event and Subscription-State: the one-pass path and the general scanners give the same result (fast-check)', () => {
  // LWS after each ";" keeps a value valid but sends it through the general scanners
  const tok = fc.oneof(
    { arbitrary: fc.stringMatching(/^[a-z0-9.-]{1,8}$/), weight: 4 },
    { arbitrary: token, weight: 1 },
  );
  const pv = fc.oneof(
    { arbitrary: tok, weight: 4 },
    { arbitrary: fc.constantFrom('', '"q"', '[::1]', 'a=b', '3600'), weight: 1 },
  );
  const param = fc
    .tuple(fc.oneof(tok, fc.constantFrom('reason', 'expires', 'retry-after', 'id')), fc.option(pv))
    .map(([n, v]) => (v === null ? `;${n}` : `;${n}=${v}`));
  const value = fc
    .tuple(fc.oneof(tok, fc.constantFrom('active', 'Terminated', 'refer', '')), fc.array(param, { maxLength: 3 }))
    .map(([t, ps]) => `${t}${ps.join('')}`);
  const outcome = (f: () => unknown) => {
    try {
      return { ok: JSON.stringify(f(), (_k, x: unknown) => (x instanceof Params ? x.toJSON() : x)) };
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
      return { error: true };
    }
  };
  const general = (v: string) => v.replace(/;/g, '; ');
  fc.assert(
    fc.property(value, (v) => {
      assert.deepEqual(
        outcome(() => parseSubscriptionState(v)),
        outcome(() => parseSubscriptionState(general(v))),
        v,
      );
      assert.deepEqual(
        outcome(() => parseTokenParams(v, 'event type')),
        outcome(() => parseTokenParams(general(v), 'event type')),
        v,
      );
    }),
    { numRuns: 3000, seed: 3261 },
  );
});

test('auth headers: the one-pass path and the general scanner give the same result or a fault (fast-check)', () => {
  const tok = fc.oneof(
    { arbitrary: fc.stringMatching(/^[A-Za-z0-9.-]{1,10}$/), weight: 4 },
    { arbitrary: token, weight: 1 },
  );
  const quoted = fc.stringMatching(/^[ -~\x80-\xff]{0,12}$/).map((t) => `"${t}"`);
  const val = fc.oneof(
    { arbitrary: tok, weight: 8 },
    { arbitrary: quoted, weight: 8 },
    { arbitrary: fc.constantFrom('', 'sip:a@b', 'a b', '"\\""', '"x'), weight: 1 },
  );
  const rarely = (common: string, ...odd: string[]) =>
    fc.oneof({ arbitrary: fc.constant(common), weight: 12 }, { arbitrary: fc.constantFrom(...odd), weight: 1 });
  const param = fc
    .tuple(
      fc.oneof(tok, fc.constantFrom('realm', 'nonce', 'uri', 'response', 'algorithm', 'qop')),
      rarely('=', ' = ', ''),
      val,
    )
    .map(([n, eq, v]) => (eq ? `${n}${eq}${v}` : n));
  const sep = fc.oneof(fc.constantFrom(', ', ','), rarely(', ', ' , ', ',,', ' '));
  const value = fc
    .tuple(
      fc.constantFrom('Digest', 'Digest', 'digest', 'Basic', 'X', ''),
      rarely(' ', '  ', '\t', ''),
      fc.array(param, { maxLength: 5 }),
      sep,
      rarely('', ',', ' '),
    )
    .map(([sc, sp, ps, se, tail]) => `${sc}${sp}${ps.join(se)}${tail}`);
  const outcome = (f: () => AuthHeader) => {
    try {
      const a = f();
      return { ok: JSON.stringify({ scheme: a.scheme, params: a.params.list }) };
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
      return { error: true };
    }
  };
  let fast = 0;
  fc.assert(
    fc.property(value, (v) => {
      const b = latin1Bytes(v);
      if (fastAuth(v, b, 0)) fast++;
      assert.deepEqual(
        outcome(() => parseAuth(v)),
        outcome(() => authGeneral(v, b, 0)),
        v,
      );
    }),
    { numRuns: 4000, seed: 7616 },
  );
  assert.ok(fast > 500, `the fast path took only ${fast} of 4000 values`);
});

test('request line: the one-scan path for "... SIP/2.0" and the general checks give the same method, URI or fault (fast-check)', () => {
  // "sip/2.0" is as valid (case-insensitive) but always takes the general checks
  const method = fc.oneof(
    { arbitrary: fc.constantFrom('INVITE', 'ACK', 'REFER', 'x-ext'), weight: 4 },
    { arbitrary: fc.stringMatching(/^[A-Za-z!<(@ -]{0,6}$/), weight: 1 },
  );
  const uri = fc.oneof(
    {
      arbitrary: fc.constantFrom('sip:a@b', 'sips:bob@biloxi.example.com;transport=tls', 'tel:+1', 'urn:x'),
      weight: 4,
    },
    { arbitrary: fc.stringMatching(/^[a-z:@<> ]{0,8}$/), weight: 1 },
  );
  const sep = fc.constantFrom(' ', ' ', ' ', '  ', '', '\t');
  const line = fc.tuple(method, sep, uri, sep).map(([m, s1, u, s2]) => `${m}${s1}${u}${s2}`);
  const outcome = (text: string) => {
    try {
      const m = parseMessage(Buffer.from(`${text}\r\nContent-Length: 0\r\n\r\n`, 'latin1'), {
        lazy: true,
      }) as SipRequest;
      return { method: m.method, uri: m.startLine().split(' ').slice(1, -1).join(' ') };
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
      return { error: e.message };
    }
  };
  let plain = 0;
  fc.assert(
    fc.property(line, (l) => {
      const a = outcome(`${l}SIP/2.0`);
      if (!('error' in a)) plain++;
      assert.deepEqual(a, outcome(`${l}sip/2.0`), l);
    }),
    { numRuns: 3000, seed: 3261 },
  );
  assert.ok(plain > 500, `only ${plain} of 3000 lines parsed`);
  // the status line's "SIP/2.0 " likewise
  const status = fc.tuple(
    fc.constantFrom(' ', ' ', ' ', '  ', '', '\t'),
    fc.oneof(
      { arbitrary: fc.constantFrom('200 OK', '180 Ringing', '100 '), weight: 4 },
      { arbitrary: fc.stringMatching(/^[0-9 A-Z\x01]{0,7}$/), weight: 1 },
    ),
  );
  const response = (text: string) => {
    try {
      const m = parseMessage(Buffer.from(`${text}\r\nContent-Length: 0\r\n\r\n`, 'latin1'), {
        lazy: true,
      }) as SipResponse;
      return { status: m.status, reason: m.reason };
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
      return { error: e.message };
    }
  };
  fc.assert(
    fc.property(status, ([sp, rest]) =>
      assert.deepEqual(response(`SIP/2.0${sp}${rest}`), response(`sip/2.0${sp}${rest}`), rest),
    ),
    { numRuns: 2000, seed: 3261 },
  );
});

test('Max-Forwards, Expires, Min-Expires, Content-Length and CSeq: the eager plain-form path and the parsers agree (fast-check)', () => {
  // the eager parse reads these few-octet values in their plain form without the typed parsers;
  // a lazy read always uses the parsers: the two must give the same value or the same fault
  const digits = fc.oneof(
    { arbitrary: fc.stringMatching(/^[0-9]{1,3}$/), weight: 4 },
    { arbitrary: fc.stringMatching(/^0*[0-9]{0,12}$/), weight: 2 },
    { arbitrary: fc.constantFrom('256', '255', '4294967295', '4294967296', '00000000001', '9999999999'), weight: 1 },
  );
  const method = fc.oneof(
    { arbitrary: fc.constantFrom('INVITE', 'ACK', 'x-Y.z!'), weight: 4 },
    { arbitrary: fc.stringMatching(/^[A-Za-z@;" ]{0,4}$/), weight: 1 },
  );
  const sp = fc.constantFrom(' ', ' ', ' ', '  ', '\t', '');
  const line = fc.oneof(
    fc
      .tuple(
        fc.constantFrom('Max-Forwards', 'Expires', 'Min-Expires'),
        digits,
        fc.constantFrom('', '', ' x', 'x', ' 1'),
      )
      .map(([h, d, t]) => [h, `${d}${t}`] as const),
    fc.tuple(digits, sp, method).map(([d, s, m]) => ['CSeq', `${d}${s}${m}`] as const),
  );
  const read = (m: SipRequest, h: string) =>
    h === 'CSeq' ? m.cseq : h === 'Max-Forwards' ? m.maxForwards : h === 'Expires' ? m.expires : m.minExpires;
  const outcome = (f: () => unknown) => {
    try {
      return { ok: JSON.stringify(f()) };
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
      return { error: e.message };
    }
  };
  fc.assert(
    fc.property(line, fc.constantFrom(0, 3, 12), ([h, v], cl) => {
      const b = Buffer.from(
        `OPTIONS sip:o@h SIP/2.0\r\n${h}: ${v}\r\nContent-Length: ${cl}\r\n\r\n${'x'.repeat(cl)}`,
        'latin1',
      );
      const eager = outcome(() => {
        const m = parseMessage(b) as SipRequest;
        return [read(m, h), m.contentLength];
      });
      const lazy = outcome(() => {
        const m = parseMessage(b, { lazy: true }) as SipRequest;
        return [read(m, h), m.contentLength];
      });
      assert.deepEqual(eager, lazy, `${h}: ${v}`);
    }),
    { numRuns: 4000, seed: 3261 },
  );
});

test('a bare CR in any typed header value is named as such, at its octet, eager or lazy (fast-check)', () => {
  // The eager parse searches only the lines whose parser could take a CR; the rest rely on their
  // parser failing (message.ts CR_SAFE). Either way the fault must read the same.
  const values: [string, string][] = [
    ['Via', 'SIP/2.0/UDP h.example.com:5060;branch=z9hG4bK1;rport'],
    ['From', '"A b" <sip:a@h.example.com>;tag=1'],
    ['To', 'sip:b@h.example.com'],
    ['Call-ID', 'abc@h'],
    ['CSeq', '1 INVITE'],
    ['Max-Forwards', '70'],
    ['Contact', '<sip:a@h.example.com>;expires=60, B <sip:b@h>'],
    ['Route', '<sip:h.example.com;lr>'],
    ['Record-Route', '<sip:h.example.com;lr>'],
    ['Path', '<sip:h.example.com;lr>'],
    ['Content-Type', 'application/sdp;x=y'],
    ['Expires', '60'],
    ['Min-Expires', '60'],
    ['Allow', 'INVITE, ACK'],
    ['Supported', 'replaces'],
    ['Require', 'timer'],
    ['Proxy-Require', 'foo'],
    ['Unsupported', 'bar'],
    ['Allow-Events', 'refer'],
    ['Accept', 'application/sdp, text/plain'],
    ['Event', 'refer;id=1'],
    ['Subscription-State', 'active;expires=60'],
    ['Refer-To', '<sip:c@h.example.com?Replaces=a%40b%3Bto-tag%3D1>'],
    ['Referred-By', '<sip:a@h.example.com>'],
    ['Replaces', 'abc@h;to-tag=1;from-tag=2'],
    ['Refer-Sub', 'false'],
    ['Authorization', 'Digest username="a", realm="r", nonce="n", uri="sip:h", response="0"'],
    ['WWW-Authenticate', 'Digest realm="r", nonce="n"'],
    ['Reason', 'SIP;cause=200;text="x"'],
    ['Retry-After', '60 (busy);duration=10'],
    ['Warning', '399 h "x"'],
    ['Date', 'Sat, 13 Nov 2010 23:29:00 GMT'],
    // shapes that take the general scanners
    ['From', 'Bob Smith <sips:b@[2001:db8::1]:5061;transport=tls> ; tag = "x"'],
    ['To', 'sip:b@h.example.com ; tag=2'],
    ['Contact', '"Q \\" x" <sip:a@h>;+sip.instance="<urn:uuid:1>";q=0.5 , *'],
    ['Via', 'SIP / 2.0 / UDP [2001:db8::9:1] : 6050 ; branch = z9hG4bK2 ; received="x", SIP/2.0/TCP a.b'],
    ['Content-Type', 'multipart/mixed ; boundary="a b"'],
    ['Call-ID', ' abc @h '],
    ['Allow', ' INVITE ,, ACK '],
  ];
  const read = (m: SipRequest) => {
    m.parseAll();
    return m.headers;
  };
  fc.assert(
    fc.property(fc.constantFrom(...values), fc.nat(), ([name, v], at) => {
      const i = at % (v.length + 1);
      const head = `OPTIONS sip:o@h SIP/2.0\r\n${name}: `;
      const text = `${head}${v.slice(0, i)}\r${v.slice(i)}\r\nContent-Length: 0\r\n\r\n`;
      const where = head.length + i;
      for (const lazy of [false, true]) {
        assert.throws(
          () => read(parseMessage(Buffer.from(text, 'latin1'), { lazy }) as SipRequest),
          (e: unknown) =>
            e instanceof SipParseError && e.reason === 'bare CR or LF in header value' && e.offset === where,
          `${lazy ? 'lazy' : 'eager'}: ${JSON.stringify(text)}`,
        );
      }
    }),
    { numRuns: 2000, seed: 3261 },
  );
});
