import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipParseError, SipUri, TelUri, AbsoluteUri, parseUri, uriEquals } from '../../src/index.js';
import { isIPv6 } from 'node:net';
import fc from 'fast-check';
import {
  ipv6ReferenceEnd,
  isIPv6Address,
  isIPv6Reference,
  sipUriGeneral,
  sipUriOnePass,
} from '../../src/message/uri.js';
import { latin1Bytes } from '../../src/message/chars.js';

test('sip URI: user, password, host, port, params, headers', () => {
  const u = parseUri(
    'sips:alice:secret@atlanta.example.com:5061;transport=tls;lr?subject=project%20x&priority=urgent',
  ) as SipUri;
  assert.equal(u.scheme, 'sips');
  assert.equal(u.user, 'alice');
  assert.equal(u.password, 'secret');
  assert.equal(u.host, 'atlanta.example.com');
  assert.equal(u.port, 5061);
  assert.equal(u.transport, 'tls');
  assert.equal(u.lr, true);
  assert.equal(u.header('subject'), 'project x');
  assert.equal(
    u.toString(),
    'sips:alice:secret@atlanta.example.com:5061;transport=tls;lr?subject=project%20x&priority=urgent',
  );
});

test('IPv4 and IPv6 hosts', () => {
  assert.equal((parseUri('sip:192.0.2.1:5070') as SipUri).hostname, '192.0.2.1');
  const v6 = parseUri('sip:bob@[2001:db8::1]:5070') as SipUri;
  assert.equal(v6.host, '[2001:db8::1]');
  assert.equal(v6.hostname, '2001:db8::1');
  assert.equal(v6.port, 5070);
  assert.throws(() => parseUri('sip:bob@[2001:db8::zz]'), SipParseError);
  assert.throws(() => parseUri('sip:bob@2001:db8::1'), SipParseError);
});

test('tel and other absolute URIs', () => {
  const t = parseUri('tel:+1-201-555-0123;phone-context=example.com') as TelUri;
  assert.equal(t.kind, 'tel');
  assert.equal(t.number, '+1-201-555-0123');
  assert.equal(t.isGlobal, true);
  assert.equal(t.params.get('phone-context'), 'example.com');
  const a = parseUri('urn:service:sos') as AbsoluteUri;
  assert.equal(a.kind, 'absolute');
  assert.equal(a.scheme, 'urn');
  assert.equal(a.toString(), 'urn:service:sos');
  assert.throws(() => parseUri('tel:'), SipParseError);
  assert.throws(() => parseUri('no scheme'), SipParseError);
});

test('errors carry the offset of the fault', () => {
  try {
    parseUri('sip:alice@host:99999');
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof SipParseError);
    assert.equal(e.offset, 15);
    assert.match(e.reason, /port/);
  }
  assert.throws(() => parseUri('sip:al ice@host'), SipParseError);
  assert.throws(() => parseUri('sip:alice@host;=x'), /empty URI parameter/);
});

// RFC 3261 §19.1.4 examples
test('equality: equivalent URIs', () => {
  const eq = [
    ['sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com;security=on'],
    [
      'sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com',
      'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com',
    ],
    [
      'sip:alice@atlanta.com?subject=project%20x&priority=urgent',
      'sip:alice@atlanta.com?priority=urgent&subject=project%20x',
    ],
  ];
  for (const [a, b] of eq) assert.ok(uriEquals(parseUri(a!), parseUri(b!)), `${a} == ${b}`);
});

test('equality: non-equivalent URIs', () => {
  const ne = [
    ['SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp'],
    ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:6000;transport=tcp'],
    ['sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting'],
    ['sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4'],
    ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off'],
    ['sip:alice@atlanta.com', 'sips:alice@atlanta.com'],
  ];
  for (const [a, b] of ne) assert.equal(uriEquals(parseUri(a!), parseUri(b!)), false, `${a} != ${b}`);
});

test('a modified URI serialises with its changes', () => {
  const u = parseUri('sip:bob@biloxi.example.com') as SipUri;
  u.params.set('transport', 'tcp');
  u.port = 5080;
  assert.equal(u.toString(), 'sip:bob@biloxi.example.com:5080;transport=tcp');
  const c = u.clone();
  c.user = 'carol';
  assert.equal(u.user, 'bob');
});

test('isIPv6Address agrees with node:net isIPv6 on generated addresses (RFC 4291 §2.2)', () => {
  const fixed = [
    '::',
    '::1',
    '1::',
    '1:2:3:4:5:6:7:8',
    '1:2:3:4:5:6:7::',
    '1:2:3:4:5:6:7:8:9',
    '::ffff:192.0.2.1',
    '1:2:3:4:5:6:7:192.0.2.1',
    '::192.0.2.01',
    '2001:db8:::192.0.2.1',
    '1::2::3',
    ':1::',
    '1:',
    '00000::1',
    '::256.1.1.1',
    '::1.2.3',
    'fe80::1%eth0',
  ];
  for (const f of fixed) assert.equal(isIPv6Address(f), isIPv6(f), f);
  const group = fc.oneof(
    fc.constant(''),
    fc.integer({ min: 0, max: 0x1ffff }).map((n) => n.toString(16)),
  );
  const ipv4 = fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 3, maxLength: 5 }).map((a) => a.join('.'));
  const addr = fc
    .tuple(fc.array(group, { maxLength: 10 }), fc.option(ipv4))
    .map(([g, v4]) => g.join(':') + (v4 === null ? '' : (g.length ? ':' : '') + v4));
  fc.assert(
    fc.property(fc.oneof(addr, fc.stringMatching(/^[0-9a-fA-Fg:.]{0,24}$/)), (s) => isIPv6Address(s) === isIPv6(s)),
    { numRuns: 5000, seed: 4291 },
  );
});

test('an IPv6 reference ends where the text check says, whether the octet scan decides or defers (fast-check)', () => {
  // the reference: find the ']' and check the text between (the path before the octet scan)
  const byText = (r: string) => {
    const q = r.indexOf(']', 1);
    return q >= 0 && isIPv6Reference(r.slice(1, q)) ? q + 1 : -1;
  };
  const at = (r: string) => {
    const b = Buffer.from('xx' + r + ';x', 'latin1');
    return ipv6ReferenceEnd('xx' + r + ';x', b, 0, 2, b.length) - 2;
  };
  const fixed = [
    '[::]',
    '[::1]',
    '[1::]',
    '[1:2:3:4:5:6:7:8]',
    '[1:2:3:4:5:6:7::]',
    '[1:2:3:4:5:6:7:8::]',
    '[1:2:3:4:5:6:7:8:9]',
    '[::ffff:192.0.2.1]',
    '[2001:db8:::192.0.2.1]',
    '[1::2::3]',
    '[:1::]',
    '[1:]',
    '[00000::1]',
    '[fe80::1%eth0]',
    '[]',
    '[::',
    '[2001:DB8::9:1]',
  ];
  for (const r of fixed) assert.equal(at(r), byText(r) < 0 ? -3 : byText(r), r);
  const group = fc.oneof(
    fc.constant(''),
    fc.integer({ min: 0, max: 0x1ffff }).map((n) => n.toString(16)),
  );
  const addr = fc.array(group, { maxLength: 10 }).map((g) => `[${g.join(':')}]`);
  fc.assert(
    fc.property(
      fc.oneof(
        addr,
        fc.ipV6().map((a) => `[${a}]`),
        fc.stringMatching(/^\[[0-9a-fA-F:.%\]]{0,20}$/),
      ),
      (r) => {
        const want = byText(r);
        assert.equal(at(r), want < 0 ? -3 : want, r);
      },
    ),
    { numRuns: 5000, seed: 5118 },
  );
});

test('sip URI: the one-pass path and the general scanner give the same result or the same fault (fast-check)', () => {
  // URIs of every shape, mostly valid, then with one octet replaced; both paths must agree
  const part = (re: RegExp) => fc.stringMatching(re);
  const user = fc.oneof(
    { arbitrary: part(/^[A-Za-z0-9_.!~*'()&=+$,;?/-]{1,10}$/), weight: 4 },
    { arbitrary: part(/^[A-Za-z0-9%]{1,6}$/), weight: 1 },
  );
  const host = fc.oneof(
    part(/^[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?(\.[a-z0-9]{1,6}){0,3}\.?$/),
    fc.ipV4(),
    fc.ipV6().map((a) => `[${a}]`),
  );
  const rarely = <T>(a: fc.Arbitrary<T>) =>
    fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary: a, weight: 1 });
  const pchars = fc.oneof(
    { arbitrary: part(/^[A-Za-z0-9-]{1,6}$/), weight: 4 },
    { arbitrary: part(/^[A-Za-z0-9%:&+$[\]/-]{0,6}$/), weight: 1 },
  );
  const param = fc.tuple(pchars, fc.option(pchars)).map(([n, v]) => (v === null ? `;${n}` : `;${n}=${v}`));
  const port = fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 65535 }).map(String), weight: 4 },
    { arbitrary: part(/^[0-9]{0,7}$/), weight: 1 },
  );
  const uri = fc
    .tuple(
      fc.option(user),
      rarely(part(/^[A-Za-z0-9%;]{0,5}$/)),
      host,
      fc.option(port),
      fc.array(param, { maxLength: 3 }),
      rarely(part(/^[A-Za-z=&%?@]{0,10}$/)),
    )
    .map(
      ([u, pw, h, pt, ps, hd]) =>
        `${u === null ? '' : `${u}${pw === null ? '' : `:${pw}`}@`}${h}${pt === null ? '' : `:${pt}`}${ps.join('')}${hd === null ? '' : `?${hd}`}`,
    );
  const mutated = fc
    .tuple(uri, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean())
    .map(([u, at, c, keep]) =>
      keep || u.length === 0 ? u : u.slice(0, at % u.length) + String.fromCharCode(c) + u.slice((at % u.length) + 1),
    );
  const outcome = (f: () => SipUri) => {
    try {
      return { ok: JSON.stringify({ ...f(), kind: undefined }) };
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
      return { reason: e.reason, offset: e.offset };
    }
  };
  let onePass = 0;
  fc.assert(
    fc.property(mutated, (u) => {
      const s = `<sip:${u}>`;
      const b = latin1Bytes(s);
      const limit = s.length - 1;
      const fast = outcome(() => {
        const r = sipUriOnePass(s, 'sip', 5, b, 0, limit);
        if (r) onePass++;
        return r ?? sipUriGeneral(s, 'sip', 5, b, 0, limit);
      });
      assert.deepEqual(
        fast,
        outcome(() => sipUriGeneral(s, 'sip', 5, b, 0, limit)),
        s,
      );
    }),
    { numRuns: 5000, seed: 3261 },
  );
  assert.ok(onePass > 500, `the one-pass path took only ${onePass} of 5000 URIs`);
});

test('sip URI headers: the octet scanner agrees with a split("&") reference (fast-check)', () => {
  // the reference is the string code the scanner replaced: split on '&', name=value, HNV or %HH
  const HNV = /^(?:[A-Za-z0-9\-_.!~*'()[\]/?:+$]|%[0-9A-Fa-f]{2})*$/;
  const reference = (text: string, base: number) => {
    if (text.length === 0) return { reason: 'empty URI headers', offset: base };
    const out: [string, string][] = [];
    let p = base;
    for (const part of text.split('&')) {
      const eq = part.indexOf('=');
      if (eq <= 0) return { reason: 'URI header without name=value', offset: p };
      if (!HNV.test(part.slice(0, eq)) || !HNV.test(part.slice(eq + 1)))
        return { reason: 'invalid character in URI header', offset: p };
      out.push([part.slice(0, eq), part.slice(eq + 1)]);
      p += part.length + 1;
    }
    return out;
  };
  const text = fc
    .array(fc.constantFrom('a', 'Z', '=', '&', '%', '%41', '%4', '?', ':', '@', ';', '"', ' ', 'é'), { maxLength: 12 })
    .map((xs) => xs.join(''));
  fc.assert(
    fc.property(text, (t) => {
      const prefix = 'sip:u@h.example.com?';
      let got: unknown;
      try {
        got = (parseUri(prefix + t) as SipUri).headers.list.map((h) => [h.name, h.value]);
      } catch (e) {
        if (!(e instanceof SipParseError)) throw e;
        got = { reason: e.reason, offset: e.offset };
      }
      const want = reference(t, prefix.length);
      assert.deepEqual(got, want, t);
    }),
    { numRuns: 5000, seed: 3261 },
  );
});

test('parameters: names compare case-insensitively, whatever the other names around them', () => {
  const u = parseUri('sip:a@b;Transport=TCP;LR;maddr=x;ttl=1;expires=5') as SipUri;
  assert.equal(u.params.get('transport'), 'TCP');
  assert.equal(u.params.get('TRANSPORT'), 'TCP');
  assert.equal(u.params.has('lr'), true);
  assert.equal(u.params.get('lr'), null);
  assert.equal(u.params.get('TTL'), '1');
  assert.equal(u.params.get('tag'), undefined);
  assert.equal(u.params.get('Expires'), '5');
  assert.equal(u.params.get('expire'), undefined);
});
