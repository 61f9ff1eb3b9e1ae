/** RFC 4028 negotiation and the running timer on a fake clock: refresh at SE/2, BYE at SE - min(32, SE/3). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequest, createResponse } from '../../src/message/index.js';
import { FakeClock } from '../../src/util/clock.js';
import { SessionTimer, TimerState, expiryDelay } from '../../src/call/session-timer.js';
import {
  initialTimerRequest,
  parseSessionExpires,
  refreshMethod,
  timerRequestHeaders,
  uacTimerOutcome,
  uasTimerVerdict,
  weRefresh,
  type SessionTimerPolicy,
} from '../../src/call/session-timer-negotiation.js';
import { InvalidStateError } from '../../src/call/errors.js';

function invite(headers: [string, string][]) {
  return createRequest({
    method: 'INVITE',
    uri: 'sip:bob@127.0.0.1',
    from: '<sip:alice@127.0.0.1>',
    to: '<sip:bob@127.0.0.1>',
    headers,
  });
}
const POLICY: SessionTimerPolicy = { mode: 'supported', interval: 1800, minSE: 300 };

test('UAS: too small → 422 with our Min-SE; a UAC without timer support gets a raised interval and we refresh', () => {
  const small = invite([
    ['Supported', 'timer'],
    ['Session-Expires', '120'],
  ]);
  assert.deepEqual(uasTimerVerdict(small, POLICY), { kind: 'reject', status: 422, headers: [['Min-SE', '300']] });
  const legacy = invite([['Session-Expires', '120']]);
  const v = uasTimerVerdict(legacy, POLICY);
  assert.equal(v.kind, 'accept');
  assert.deepEqual(v.kind === 'accept' && [v.interval, v.refresher, v.headers], [
    300,
    'uas',
    [['Session-Expires', '300;refresher=uas']],
  ]);
});

test('UAS: the interval is shortened to ours but never below either Min-SE; refresher=uac adds Require: timer', () => {
  const v = uasTimerVerdict(
    invite([
      ['Supported', 'timer'],
      ['Session-Expires', '7200;refresher=uac'],
      ['Min-SE', '2000'],
    ]),
    POLICY,
  );
  assert.deepEqual(v, {
    kind: 'accept',
    interval: 2000,
    refresher: 'uac',
    headers: [
      ['Session-Expires', '2000;refresher=uac'],
      ['Require', 'timer'],
    ],
  });
  const w = uasTimerVerdict(
    invite([
      ['k', 'timer'],
      ['x', '900'],
    ]),
    { ...POLICY, refresher: 'uas' },
  );
  assert.deepEqual(w.kind === 'accept' && [w.interval, w.refresher], [900, 'uas']);
  // nothing asked, timers merely supported: no timer; required: we add one and refresh
  assert.deepEqual(uasTimerVerdict(invite([]), POLICY), { kind: 'none' });
  assert.equal(uasTimerVerdict(invite([]), { ...POLICY, mode: 'required' }).kind, 'accept');
  assert.deepEqual(uasTimerVerdict(invite([['Session-Expires', '100']]), { mode: 'off' }), { kind: 'none' });
});

test('UAC: headers, the retry after 422 with the bigger value, the 2xx outcome', () => {
  const asked = initialTimerRequest({ mode: 'required', interval: 90 })!;
  assert.deepEqual(timerRequestHeaders(asked, 'required'), [
    ['Session-Expires', '90'],
    ['Min-SE', '90'],
    ['Require', 'timer'],
  ]);
  const inv = invite(timerRequestHeaders(asked, 'supported'));
  const r422 = createResponse(inv, 422, { headers: [['Min-SE', '300']] });
  const retry = uacTimerOutcome(r422, asked, POLICY);
  assert.deepEqual(retry, { kind: 'retry', request: { interval: 300, minSE: 300 } });
  // a 422 that does not raise anything, or asks the absurd, is not followed
  assert.deepEqual(uacTimerOutcome(createResponse(inv, 422, { headers: [['Min-SE', '90']] }), asked, POLICY), {
    kind: 'give-up',
  });
  assert.deepEqual(uacTimerOutcome(createResponse(inv, 422, { headers: [['Min-SE', '99999']] }), asked, POLICY), {
    kind: 'give-up',
  });
  const ok = createResponse(inv, 200, { headers: [['Session-Expires', '300;refresher=uas']] });
  assert.deepEqual(uacTimerOutcome(ok, asked, POLICY), { kind: 'running', interval: 300, refresher: 'uas' });
  assert.deepEqual(uacTimerOutcome(createResponse(inv, 200), asked, POLICY), { kind: 'none' });
  assert.deepEqual(parseSessionExpires(ok), { interval: 300, refresher: 'uas' });
  assert.equal(weRefresh('uas', true), false);
  assert.equal(weRefresh('uas', false), true);
  assert.equal(refreshMethod('UPDATE', ['INVITE', 'update']), 'UPDATE');
  assert.equal(refreshMethod('UPDATE', ['INVITE']), 'INVITE');
});

test('refresher: refresh due at SE/2, restarted by each successful refresh (fake time)', () => {
  const clock = new FakeClock();
  const events: string[] = [];
  const t = new SessionTimer({
    clock,
    onRefresh: () => events.push(`refresh@${clock.now()}`),
    onExpired: () => events.push(`expired@${clock.now()}`),
  });
  t.start(90, true);
  clock.advance(44_999);
  assert.deepEqual(events, []);
  clock.advance(1);
  assert.deepEqual(events, ['refresh@45000']);
  assert.equal(t.state, TimerState.Refreshing);
  // the refresh's 2xx restarts the interval
  t.start(90, true);
  clock.advance(45_000);
  assert.deepEqual(events, ['refresh@45000', 'refresh@90000']);
  // no answer to that refresh: BYE at SE - min(32, SE/3) after the last good one
  clock.advance(expiryDelay(90) - 45_000);
  assert.deepEqual(events, ['refresh@45000', 'refresh@90000', 'expired@105000']);
  assert.equal(t.state, TimerState.Expired);
  assert.throws(() => t.start(90, true), InvalidStateError);
  t.stop();
  assert.equal(clock.pending, 0);
});

test('non-refresher: BYE at SE - min(32, SE/3) without a refresh; a refresh from the peer restarts it', () => {
  const clock = new FakeClock();
  const events: string[] = [];
  const t = new SessionTimer({
    clock,
    onRefresh: () => events.push('refresh'),
    onExpired: () => events.push(`expired@${clock.now()}`),
  });
  assert.equal(expiryDelay(1800), 1768_000);
  assert.equal(expiryDelay(90), 60_000);
  t.start(1800, false);
  clock.advance(1_000_000);
  t.start(1800, false); // the peer refreshed
  clock.advance(1768_000 - 1);
  assert.deepEqual(events, []);
  clock.advance(1);
  assert.deepEqual(events, [`expired@${1_000_000 + 1768_000}`]);
});

test('disable and stop clear the timers; an interval of 0 is refused', () => {
  const clock = new FakeClock();
  const t = new SessionTimer({ clock, onRefresh: () => undefined, onExpired: () => assert.fail('expired') });
  assert.throws(() => t.start(0, true), RangeError);
  t.start(90, true);
  t.disable();
  assert.equal(t.state, TimerState.Inactive);
  assert.equal(clock.pending, 0);
  t.start(90, false);
  t.stop();
  clock.advance(1_000_000);
  assert.equal(t.state, TimerState.Stopped);
  assert.equal(t.session, undefined);
});
