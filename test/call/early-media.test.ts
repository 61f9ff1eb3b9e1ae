/**
 * Early media (RFC 3960) in both roles: the callee's progress() sends 183 with its answer, reliably
 * when 100rel is negotiated (RFC 3262); the caller applies SDP in an 18x as the answer and emits
 * 'early-media', the 2xx's SDP being the answer proper (RFC 3261 §13.2.1, RFC 6337 §3.1); UPDATE
 * in the early dialog both ways (RFC 3311 §5.1); and audio through the RTP engine before the answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once, phoneMaker, responses, sdpDirection, type Phone } from './helpers.js';
import type { Call } from '../../src/call/call.js';
import { CallError } from '../../src/call/errors.js';
import type { MediaState } from '../../src/media/session.js';
import { SignallingOnlyMedia } from '../../src/media/signalling-only.js';
import { PortAllocator } from '../../src/media/ports.js';
import { rtpMediaFactory } from '../../src/media/rtp-media.js';
import { ToneSource } from '../../src/media/sources.js';
import { CollectSink } from '../helpers/collect-sink.js';
import { containsTone } from '../../src/media/analyse.js';

const make = phoneMaker();
/** Resolves once the call is established (at once if it is). */
const established = (c: Call): Promise<unknown> =>
  c.state === 'established' ? Promise.resolve() : once(c, 'established');
const inviteResponse = (p: Phone, status: number) =>
  responses(p, 'out').find((r) => r.status === status && r.cseq?.method === 'INVITE');

test('183 with the answer (unreliable): the caller hears early, the offer stays open, the 2xx repeats the same SDP', async () => {
  const alice = await make('alice');
  const bob = await make('bob', { autoAnswer: false });
  const inc = once<[Call]>(bob.ua, 'incoming');
  const call = alice.ua.dial(bob.uri);
  const early = once<[number, MediaState]>(call, 'early-media');
  const [bc] = await inc;
  const bobEarly = once<[number, MediaState]>(bc, 'early-media');
  await bc.progress();
  const [status, media] = await early;
  assert.equal(status, 183);
  assert.equal(media.negotiated, true, 'the SDP of the 183 was applied');
  assert.equal((await bobEarly)[0], 183);
  assert.equal(call.state, 'ringing');
  // RFC 3261 §13.2.1: only a copy of the answer, the answer proper comes in the 2xx
  assert.equal(call.signallingState, 'have-local-offer');
  assert.equal(bc.signallingState, 'have-remote-offer');
  const r183 = inviteResponse(bob, 183)!;
  assert.equal(r183.get('Require'), undefined, 'not reliable: the caller did not ask for 100rel');
  assert.equal(media.remotePort, Number(/m=audio (\d+)/.exec(r183.body.toString())?.[1]), 'the 183 SDP is applied');
  await bc.answer();
  await established(call);
  assert.equal(call.signallingState, 'stable');
  assert.equal(bc.signallingState, 'stable');
  assert.equal(inviteResponse(bob, 200)!.body.toString(), r183.body.toString(), 'the 2xx carries the same answer');
  assert.equal(call.media.state.remotePort, media.remotePort);
  await call.hangup();
});

test('reliable 183 (100rel required): PRACKed, the exchange completes early; UPDATE in the early dialog both ways', async () => {
  const alice = await make('alice', { rel100: 'required' });
  const bob = await make('bob', { autoAnswer: false });
  const inc = once<[Call]>(bob.ua, 'incoming');
  const call = alice.ua.dial(bob.uri);
  const early = once<[number, MediaState]>(call, 'early-media');
  const [bc] = await inc;
  await bc.progress(); // resolves once PRACKed
  const r183 = inviteResponse(bob, 183)!;
  assert.match(r183.get('Require') ?? '', /100rel/);
  assert.ok(r183.get('RSeq'));
  assert.equal((await early)[1].negotiated, true);
  assert.equal(call.signallingState, 'stable', 'the answer in a reliable 1xx completes the offer (RFC 3262 §5)');
  assert.equal(bc.signallingState, 'stable');
  // RFC 3311 §5.1: the callee holds by UPDATE in the early dialog; the caller takes it (no 481)
  const held = once(call, 'remote-held');
  assert.equal((await bc.update({ hold: true })).localHold, true);
  await held;
  assert.equal(call.state, 'ringing');
  // and the caller's UPDATE in the early dialog reaches the callee
  assert.equal((await call.update({ hold: true })).localHold, true);
  assert.equal(bc.remoteHold, true);
  assert.equal(bc.state, 'incoming');
  await bc.answer();
  await established(call);
  // the 2xx repeats the callee's current SDP; the caller's state is what the UPDATEs made it
  assert.equal(sdpDirection(inviteResponse(bob, 200)!.body), 'inactive');
  assert.equal(call.localHold, true);
  assert.equal(call.remoteHold, true);
  assert.equal((await call.resume()).localHold, false);
  await call.hangup();
});

test('a reliable 183 needs 100rel from the caller; no UPDATE offer before the early exchange completes (RFC 3311 §5.1)', async () => {
  const alice = await make('alice', { rel100: 'off' });
  const bob = await make('bob', { autoAnswer: false });
  const inc = once<[Call]>(bob.ua, 'incoming');
  const call = alice.ua.dial(bob.uri);
  const [bc] = await inc;
  await assert.rejects(bc.progress({ reliable: true }), CallError);
  assert.equal(bc.state, 'incoming', 'refusing to send it changes nothing');
  await bc.progress(); // unreliable: the exchange is not complete
  await once(call, 'early-media');
  await assert.rejects(bc.update({ hold: true }), /UPDATE/, 'no offer in UPDATE before the answer is reliable');
  await call.hangup();
  assert.equal(bc.state, 'terminated');
});

test('media seam: an early answer is applied with the offer left open; the 2xx answer replaces it', () => {
  const caller = new SignallingOnlyMedia('127.0.0.1', 4000);
  const early = new SignallingOnlyMedia('127.0.0.1', 5000);
  const late = new SignallingOnlyMedia('127.0.0.1', 6000);
  const offer = caller.createOffer();
  caller.applyAnswer(early.answerOffer(offer), { early: true });
  assert.equal(caller.state.remotePort, 5000, 'media follows the early answer');
  assert.equal(caller.hasPendingOffer, true, 'the offer stays open for the 2xx');
  caller.applyAnswer(late.answerOffer(offer));
  assert.equal(caller.state.remotePort, 6000, 'the 2xx answer is the answer (RFC 6337 §3.1)');
  assert.equal(caller.hasPendingOffer, false);
  // an unusable early copy leaves the offer open too
  caller.createOffer();
  assert.throws(() => caller.applyAnswer('v=0\r\n', { early: true }));
  assert.equal(caller.hasPendingOffer, true);
});

test('RTP engine: the caller hears the callee’s tone after the 183, before the answer; ports freed', async () => {
  const sink = new CollectSink();
  const range = () => ({ min: 30000 + Math.floor(Math.random() * 1000) * 20, max: 65000 });
  const aliceAlloc = new PortAllocator(range());
  const bobAlloc = new PortAllocator(range());
  const alice = await make('alice', { mediaFactory: rtpMediaFactory({ allocator: aliceAlloc, sink: () => sink }) });
  const bob = await make('bob', {
    autoAnswer: false,
    mediaFactory: rtpMediaFactory({
      allocator: bobAlloc,
      source: () => new ToneSource({ frequency: 1000, amplitude: 0.25 }),
    }),
  });
  const inc = once<[Call]>(bob.ua, 'incoming');
  const call = alice.ua.dial(bob.uri);
  const [bc] = await inc;
  await bc.progress();
  const heard = await sink.more(25);
  assert.equal(call.state, 'ringing', 'heard before the answer');
  assert.ok(containsTone(heard, 1000), 'the ringback/announcement tone arrives as early media');
  await bc.answer();
  await established(call);
  assert.ok(containsTone(await sink.more(25), 1000), 'the same stream goes on after the answer');
  await call.hangup();
  await Promise.all([call.media.close(), bc.media.close()]);
  assert.equal(aliceAlloc.inUse, 0);
  assert.equal(bobAlloc.inUse, 0);
});
