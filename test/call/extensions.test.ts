/**
 * Issue 13 §3 between two user agents on loopback: 100rel/PRACK, UPDATE, INFO/MESSAGE/OPTIONS
 * reaching the application, Allow/Supported following the options, 420 when 100rel is off,
 * session timers with 422 and a refresh.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once, phoneMaker, sdpDirection, sent, type Phone } from './helpers.js';
import type { Call } from '../../src/call/call.js';
import { parseMessage, type SipRequest, type SipResponse } from '../../src/message/index.js';

const make = phoneMaker();
function received(p: Phone): (SipRequest | SipResponse)[] {
  return p.wire.filter((e) => e.direction === 'in').map((e) => parseMessage(e.bytes));
}

async function connect(a: Phone, b: Phone): Promise<[Call, Call]> {
  const incoming = once<[Call]>(b.ua, 'incoming');
  const ac = await a.ua.call(b.uri);
  const [bc] = await incoming;
  if (bc.state !== 'established') await once(bc, 'established');
  return [ac, bc];
}

test('a UAC requiring 100rel gets a reliable 180 (RSeq, Require: 100rel) and PRACKs it; Allow lists PRACK and UPDATE', async () => {
  const alice = await make('alice', { rel100: 'required' });
  const bob = await make('bob', { autoAnswer: 200 });
  const [ac] = await connect(alice, bob);
  const invite = sent(alice, 'INVITE')[0]!;
  assert.deepEqual(invite.require, ['100rel']);
  const ringing = received(alice).find((m): m is SipResponse => !m.isRequest && m.status === 180)!;
  assert.ok(ringing.get('RSeq'));
  assert.deepEqual(ringing.require, ['100rel']);
  const prack = sent(alice, 'PRACK')[0]!;
  assert.equal(prack.get('RAck'), `${ringing.get('RSeq')} ${invite.cseq!.seq} INVITE`);
  const ok = received(alice).find(
    (m): m is SipResponse => !m.isRequest && m.status === 200 && m.cseq!.method === 'INVITE',
  )!;
  assert.ok(ok.allow.includes('PRACK') && ok.allow.includes('UPDATE'));
  assert.ok(ok.supported.includes('100rel'));
  await ac.hangup();
});

test('100rel off: an INVITE requiring it is answered 420 with Unsupported: 100rel; Allow has no PRACK', async () => {
  const alice = await make('alice2', { rel100: 'required' });
  const bob = await make('bob2', { rel100: 'off', update: false, sessionTimers: { mode: 'off' } });
  await assert.rejects(alice.ua.call(bob.uri), (e: unknown) => (e as { status?: number }).status === 420);
  const r = received(alice).find((m): m is SipResponse => !m.isRequest && m.status === 420)!;
  assert.deepEqual(r.unsupported, ['100rel']);
  assert.equal(bob.ua.core.allow.includes('PRACK'), false);
  assert.equal(bob.ua.core.allow.includes('UPDATE'), false);
  assert.deepEqual(bob.ua.core.supported.includes('timer'), false);
});

test('UPDATE holds and resumes an established call; INFO and MESSAGE reach the application', async () => {
  const alice = await make('alice3');
  const bob = await make('bob3');
  const [ac, bc] = await connect(alice, bob);
  const held = once(bc, 'remote-held');
  assert.equal((await ac.update({ hold: true })).localHold, true);
  await held;
  assert.equal(sdpDirection(sent(alice, 'UPDATE')[0]!.body), 'sendonly');
  assert.equal((await ac.update({ hold: false })).localHold, false);
  assert.equal(bc.remoteHold, false);
  const infos: string[] = [];
  bc.on('info', (r) => infos.push(r.body.toString()));
  bob.ua.requests.on('INFO', () => ({ status: 200, reason: 'Got it' }));
  assert.equal((await ac.info('Signal=1\r\nDuration=100\r\n')).reason, 'Got it');
  assert.deepEqual(infos, ['Signal=1\r\nDuration=100\r\n']);
  const pages: string[] = [];
  bob.ua.on('message', (r) => pages.push(r.body.toString()));
  bob.ua.requests.on('MESSAGE', () => ({ status: 202 }));
  assert.equal((await alice.ua.message(bob.uri, 'hello')).status, 202);
  assert.deepEqual(pages, ['hello']);
  await ac.hangup();
});

test('session timers: 422 from a callee with a bigger Min-SE, the retry, and a refresh by UPDATE', async () => {
  const alice = await make('alice4', { sessionTimers: { mode: 'supported', interval: 90, refreshAt: 0.01 } });
  // Bob's wire tap resolves on the refresh: no polling
  let gotUpdate!: (r: SipRequest) => void;
  const refresh = new Promise<SipRequest>((r) => (gotUpdate = r));
  const bob = await make('bob4', {
    sessionTimers: { mode: 'supported', minSE: 120 },
    tap: (e) => {
      if (e.direction !== 'in') return;
      const m = parseMessage(e.bytes);
      if (m.isRequest && m.method === 'UPDATE') gotUpdate(m);
    },
  });
  const [ac] = await connect(alice, bob);
  const invites = sent(alice, 'INVITE');
  assert.equal(invites[0]!.get('Session-Expires'), '90');
  assert.equal(invites[1]!.get('Session-Expires'), '120');
  assert.equal(invites[1]!.cseq!.seq, invites[0]!.cseq!.seq + 1);
  assert.ok(received(alice).some((m) => !m.isRequest && (m as SipResponse).status === 422));
  // refresher=uac (Alice): an UPDATE with Session-Expires after 1.2 s (refreshAt 0.01 of 120 s)
  let timer: NodeJS.Timeout | undefined;
  const upd = await Promise.race([
    refresh,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no refresh UPDATE in 5 s')), 5000))),
  ]).finally(() => clearTimeout(timer));
  assert.equal(upd.get('Session-Expires'), '120;refresher=uac');
  await ac.hangup();
});

test('glare on UPDATE: both hold by UPDATE at once, 491 on the crossing offer, retried per §14.1; both end up holding', async () => {
  const alice = await make('alice', { glareDelay: () => 50 });
  const bob = await make('bob', { autoAnswer: false, glareDelay: () => 150 });
  const incoming = once<[Call]>(bob.ua, 'incoming');
  const dialled = alice.ua.call(bob.uri);
  const [bc] = await incoming;
  await bc.answer(); // resolves on the ACK: both sides are idle
  const ac = await dialled;
  const [ra, rb] = await Promise.all([ac.update({ hold: true }), bc.update({ hold: true })]);
  assert.equal(ra.localHold, true);
  assert.equal(rb.localHold, true);
  const r491 = [...alice.wire, ...bob.wire]
    .filter((e) => e.direction === 'out')
    .map((e) => parseMessage(e.bytes))
    .filter((m) => !m.isRequest && (m as SipResponse).status === 491) as SipResponse[];
  assert.ok(r491.length >= 1, 'a crossing UPDATE offer got 491 (RFC 3311 §5.2)');
  assert.ok(r491.every((r) => r.cseq?.method === 'UPDATE'));
  assert.equal(ac.remoteHold && bc.remoteHold, true);
  // the retried UPDATE saw the peer holding: its offer went inactive
  const lastOffers = [...sent(alice, 'UPDATE'), ...sent(bob, 'UPDATE')].map((r) => sdpDirection(r.body));
  assert.ok(lastOffers.includes('inactive'), `offers: ${lastOffers.join(', ')}`);
  await ac.hangup();
});
