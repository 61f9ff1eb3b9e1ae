/** RFC 3311 UPDATE rules (491/500 while an offer is pending), the UPDATE client machine, and the state tables. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequest, createResponse } from '../../src/message/index.js';
import {
  UpdateClient,
  UpdateClientState,
  UpdatePendingError,
  canOfferInUpdate,
  incomingUpdateVerdict,
  peerAllowsUpdate,
} from '../../src/call/update.js';
import { InvalidStateError } from '../../src/call/errors.js';
import { Machine } from '../../src/call/states.js';

const SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
function update(body?: string) {
  return createRequest({
    method: 'UPDATE',
    uri: 'sip:bob@127.0.0.1',
    from: '<sip:alice@127.0.0.1>;tag=a',
    to: '<sip:bob@127.0.0.1>;tag=b',
    headers: [['Allow', 'INVITE, UPDATE']],
    ...(body ? { body, contentType: 'application/sdp' } : {}),
  });
}

/** A stand-in for the media seam that records what it was asked. */
function fakeMedia() {
  const calls: string[] = [];
  return {
    calls,
    createOffer: () => (calls.push('offer'), SDP),
    applyAnswer: (sdp: string | Uint8Array) => {
      calls.push('answer');
      if (sdp.length === 0) throw new Error('no answer');
    },
    rollback: () => void calls.push('rollback'),
  };
}

test('incoming UPDATE: 491 while our offer is out, 500 + Retry-After while theirs is unanswered, else taken', () => {
  const offer = update(SDP);
  assert.deepEqual(incomingUpdateVerdict(offer, { signalling: 'have-local-offer', negotiated: true }), {
    kind: 'reject',
    status: 491,
    headers: [],
  });
  assert.deepEqual(
    incomingUpdateVerdict(offer, { signalling: 'have-remote-offer', negotiated: true, retryAfter: () => 3 }),
    { kind: 'reject', status: 500, headers: [['Retry-After', '3']] },
  );
  // early dialog before the INVITE's exchange completed: not yet
  assert.equal(incomingUpdateVerdict(offer, { signalling: 'stable', negotiated: false }).kind, 'reject');
  assert.deepEqual(incomingUpdateVerdict(offer, { signalling: 'stable', negotiated: true }), {
    kind: 'accept',
    offer: true,
  });
  // without SDP (a session refresh) it is always taken
  assert.deepEqual(incomingUpdateVerdict(update(), { signalling: 'have-local-offer', negotiated: true }), {
    kind: 'accept',
    offer: false,
  });
  assert.equal(peerAllowsUpdate(offer), true);
  assert.equal(canOfferInUpdate({ signalling: 'have-remote-offer', negotiated: true }), false);
});

test('UPDATE client: one at a time; 2xx applies the answer; 491 and failures roll the offer back', () => {
  const media = fakeMedia();
  const c = new UpdateClient(media);
  const ctx = { signalling: 'stable' as const, negotiated: true };
  assert.equal(c.begin(ctx, true), SDP);
  assert.equal(c.state, UpdateClientState.Pending);
  assert.throws(() => c.begin(ctx, true), UpdatePendingError);
  const req = update(SDP);
  assert.deepEqual(c.finish(createResponse(req, 200, { body: SDP, contentType: 'application/sdp' })), {
    kind: 'answered',
  });
  c.begin(ctx, true);
  assert.deepEqual(c.finish(createResponse(req, 491)), { kind: 'glare' });
  c.begin(ctx, true);
  assert.deepEqual(c.finish(createResponse(req, 481)), { kind: 'dialog-gone', status: 481 });
  c.begin(ctx, true);
  assert.deepEqual(c.finish(createResponse(req, 488)), { kind: 'failed', status: 488, reason: 'Not Acceptable Here' });
  // a 2xx without a usable answer throws after rolling back
  c.begin(ctx, true);
  assert.throws(() => c.finish(createResponse(req, 200)), /no answer/);
  assert.deepEqual(media.calls, [
    'offer',
    'answer',
    'offer',
    'rollback',
    'offer',
    'rollback',
    'offer',
    'rollback',
    'offer',
    'answer',
    'rollback',
  ]);
  // a refresh without SDP, even while the peer's offer is pending
  assert.equal(c.begin({ signalling: 'have-remote-offer', negotiated: true }, false), undefined);
  assert.deepEqual(c.finish(createResponse(req, 200)), { kind: 'done' });
  assert.throws(() => c.begin({ signalling: 'have-local-offer', negotiated: true }, true), UpdatePendingError);
  assert.throws(() => c.finish(createResponse(req, 200)), UpdatePendingError);
});

test('state tables refuse moves they do not list (one Machine for every protocol machine in src/call)', () => {
  const t = new Machine<'a' | 'b'>('demo', { a: ['b'], b: [] }, 'a');
  t.to('b');
  t.to('b'); // staying put is always allowed
  assert.throws(
    () => t.to('a'),
    (e: unknown) => e instanceof InvalidStateError && /demo: cannot go from b to a/.test(e.message),
  );
  assert.equal(t.state, 'b');
});
