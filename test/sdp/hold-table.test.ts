/**
 * The hold table: (our state) × (action) × (does the peer use c=0.0.0.0) → the direction
 * attribute we produce and the hold flags afterwards. RFC 3264 §8.4, RFC 6337 §5.3/§5.4.
 * "legacy" peers signal their own hold the RFC 2543 way, with c=IN IP4 0.0.0.0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OfferAnswer, getDirection, parseSdp, reverseDirection, type Direction } from '../../src/sdp/index.js';

type State = 'none' | 'local-hold' | 'remote-hold' | 'both';
type Action = 'hold' | 'resume' | `answer ${Direction}`;

const crlf = (...lines: string[]) => lines.join('\r\n') + '\r\n';
let peerVersion = 1;
/** The peer's SDP; `dir: null` writes no direction attribute (sendrecv by default). */
function peer(dir: Direction | null, zeroAddress: boolean): string {
  return crlf(
    'v=0',
    `o=peer 77 ${peerVersion++} IN IP4 192.0.2.9`,
    's=-',
    `c=IN IP4 ${zeroAddress ? '0.0.0.0' : '192.0.2.9'}`,
    't=0 0',
    'm=audio 40000 RTP/AVP 0 8 101',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    ...(dir ? [`a=${dir}`] : []),
  );
}

/** The direction attribute of the audio stream of an SDP we produced (it is always explicit). */
function produced(sdp: string): Direction {
  const d = getDirection(parseSdp(sdp).media[0]!.attributes);
  assert.ok(d, 'an explicit direction attribute');
  assert.ok(!sdp.includes('0.0.0.0'), 'we never emit the legacy c=0.0.0.0 hold');
  return d;
}

const flags = (oa: OfferAnswer) => ({ localHold: oa.localHold, remoteHold: oa.remoteHold });

/** Bring a fresh engine into `state`, the peer holding the legacy way when `legacy`. */
function reach(state: State, legacy: boolean): OfferAnswer {
  const oa = new OfferAnswer({ address: '192.0.2.1', port: 30000, sessionId: '1' });
  const peerHolds = state === 'remote-hold' || state === 'both';
  // the peer's initial offer: plain, or on hold (a=sendonly, or RFC 2543 style c=0.0.0.0 alone)
  oa.createAnswer(peerHolds ? (legacy ? peer(null, true) : peer('sendonly', false)) : peer(null, false));
  if (state === 'local-hold' || state === 'both') {
    const offer = oa.createOffer({ hold: true });
    oa.setRemoteAnswer(peer(reverseDirection(produced(offer)), legacy && peerHolds));
  }
  assert.deepEqual(
    flags(oa),
    { localHold: state === 'local-hold' || state === 'both', remoteHold: peerHolds },
    `reached ${state}`,
  );
  return oa;
}

// [our state, action, peer uses c=0.0.0.0, direction we produce, localHold after, remoteHold after]
const TABLE: [State, Action, boolean, Direction, boolean, boolean][] = [
  // hold: sendonly, or inactive when the peer holds us (our stream is recvonly) — RFC 6337 §5.3
  ['none', 'hold', false, 'sendonly', true, false],
  ['none', 'hold', true, 'sendonly', true, false],
  ['local-hold', 'hold', false, 'sendonly', true, false],
  ['local-hold', 'hold', true, 'sendonly', true, false],
  ['remote-hold', 'hold', false, 'inactive', true, true],
  ['remote-hold', 'hold', true, 'inactive', true, true],
  ['both', 'hold', false, 'inactive', true, true],
  ['both', 'hold', true, 'inactive', true, true],
  // resume: sendrecv, or recvonly while the peer still holds us
  ['none', 'resume', false, 'sendrecv', false, false],
  ['none', 'resume', true, 'sendrecv', false, false],
  ['local-hold', 'resume', false, 'sendrecv', false, false],
  ['local-hold', 'resume', true, 'sendrecv', false, false],
  ['remote-hold', 'resume', false, 'recvonly', false, true],
  ['remote-hold', 'resume', true, 'recvonly', false, true],
  ['both', 'resume', false, 'recvonly', false, true],
  ['both', 'resume', true, 'recvonly', false, true],
  // answering: sendrecv → sendrecv (sendonly if we hold); sendonly → recvonly (inactive if we hold);
  // recvonly → sendonly (also while we hold: the holder keeps sending, e.g. music); inactive → inactive; c=0.0.0.0 takes away the peer's recv
  ['none', 'answer sendrecv', false, 'sendrecv', false, false],
  ['none', 'answer sendonly', false, 'recvonly', false, true],
  ['none', 'answer recvonly', false, 'sendonly', false, false],
  ['none', 'answer inactive', false, 'inactive', false, true],
  ['none', 'answer sendrecv', true, 'recvonly', false, true],
  ['none', 'answer sendonly', true, 'recvonly', false, true],
  ['none', 'answer recvonly', true, 'inactive', false, true],
  ['none', 'answer inactive', true, 'inactive', false, true],
  ['local-hold', 'answer sendrecv', false, 'sendonly', true, false],
  ['local-hold', 'answer sendonly', false, 'inactive', true, true],
  ['local-hold', 'answer recvonly', false, 'sendonly', true, false],
  ['local-hold', 'answer inactive', false, 'inactive', true, true],
  ['local-hold', 'answer sendrecv', true, 'inactive', true, true],
  ['local-hold', 'answer sendonly', true, 'inactive', true, true],
  ['local-hold', 'answer recvonly', true, 'inactive', true, true],
  ['local-hold', 'answer inactive', true, 'inactive', true, true],
  ['remote-hold', 'answer sendrecv', false, 'sendrecv', false, false],
  ['remote-hold', 'answer sendonly', false, 'recvonly', false, true],
  ['remote-hold', 'answer recvonly', false, 'sendonly', false, false],
  ['remote-hold', 'answer inactive', false, 'inactive', false, true],
  ['remote-hold', 'answer sendrecv', true, 'recvonly', false, true],
  ['remote-hold', 'answer sendonly', true, 'recvonly', false, true],
  ['remote-hold', 'answer recvonly', true, 'inactive', false, true],
  ['remote-hold', 'answer inactive', true, 'inactive', false, true],
  ['both', 'answer sendrecv', false, 'sendonly', true, false],
  ['both', 'answer sendonly', false, 'inactive', true, true],
  ['both', 'answer recvonly', false, 'sendonly', true, false],
  ['both', 'answer inactive', false, 'inactive', true, true],
  ['both', 'answer sendrecv', true, 'inactive', true, true],
  ['both', 'answer sendonly', true, 'inactive', true, true],
  ['both', 'answer recvonly', true, 'inactive', true, true],
  ['both', 'answer inactive', true, 'inactive', true, true],
];

test('the table covers every (state, action, c=0.0.0.0) combination exactly once', () => {
  const keys = new Set(TABLE.map(([s, a, l]) => `${s}|${a}|${l}`));
  assert.equal(keys.size, TABLE.length);
  assert.equal(TABLE.length, 4 * 6 * 2);
});

for (const [state, action, legacy, want, localHold, remoteHold] of TABLE) {
  test(`state ${state}, ${action}${legacy ? ', peer uses c=0.0.0.0' : ''} → a=${want}, localHold=${localHold}, remoteHold=${remoteHold}`, () => {
    const oa = reach(state, legacy);
    const before = { ...flags(oa), direction: oa.direction };
    const peerHolds = state === 'remote-hold' || state === 'both';
    if (action === 'hold' || action === 'resume') {
      const offer = oa.createOffer({ hold: action === 'hold' });
      assert.equal(produced(offer), want);
      // until the answer, and after a failed re-INVITE, the state is what was last negotiated
      assert.deepEqual({ ...flags(oa), direction: oa.direction }, before);
      oa.rollback();
      assert.deepEqual({ ...flags(oa), direction: oa.direction }, before);
      assert.equal(oa.createOffer({ hold: action === 'hold' }), offer, 'the retry is the same SDP');
      // the peer answers per RFC 3264 §6.1; a legacy peer that still holds us keeps c=0.0.0.0
      oa.setRemoteAnswer(peer(reverseDirection(want), legacy && peerHolds));
    } else {
      const offered = action.slice('answer '.length) as Direction;
      assert.equal(produced(oa.createAnswer(peer(offered, legacy))), want);
    }
    assert.deepEqual(flags(oa), { localHold, remoteHold });
    assert.equal(oa.hasPendingOffer, false);
  });
}

test('a legacy-held call resumed by the peer with a normal offer', () => {
  const oa = reach('remote-hold', true);
  assert.equal(produced(oa.createAnswer(peer(null, false))), 'sendrecv');
  assert.deepEqual(flags(oa), { localHold: false, remoteHold: false });
  assert.equal(oa.direction, 'sendrecv');
});

test('explicit direction in createOffer is used verbatim; hold is read from it', () => {
  const oa = reach('none', false);
  assert.equal(produced(oa.createOffer({ direction: 'inactive' })), 'inactive');
  oa.setRemoteAnswer(peer('inactive', false));
  // an answer to an offer that sends nothing cannot say whether the peer holds: unchanged
  assert.deepEqual(flags(oa), { localHold: true, remoteHold: false });
  assert.equal(oa.direction, 'inactive');
});
