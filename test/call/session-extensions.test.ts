/**
 * Two SessionExtensions wired back to back in memory (no sockets): offer/answer in a reliable
 * 183 and its PRACK, UPDATE hold and glare, and session timers with 422, refresh by UPDATE and
 * expiry on a fake clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NameAddr,
  createRequest,
  createResponse,
  parseUri,
  type SipRequest,
  type SipResponse,
} from '../../src/message/index.js';
import { Dialog } from '../../src/dialog/dialog.js';
import type { ServerTransaction } from '../../src/transaction/index.js';
import { FakeClock } from '../../src/util/clock.js';
import { SignallingOnlyMedia } from '../../src/media/signalling-only.js';
import { signallingMachine } from '../../src/call/states.js';
import { SessionExtensions, type ExtensionPolicy, type SessionPort } from '../../src/call/session-extensions.js';
import type { Signalling } from '../../src/call/update.js';
import { RequestHandlers } from '../../src/call/request-handlers.js';

interface Side {
  ext: SessionExtensions;
  media: SignallingOnlyMedia;
  dialog: Dialog | undefined;
  expired: number;
  changes: number;
  seen: string[];
}

/** A fake server transaction: the response goes to `deliver`. */
function tx(request: SipRequest, deliver: (r: SipResponse) => void): ServerTransaction {
  return { request, respond: deliver } as unknown as ServerTransaction;
}

function side(clock: FakeClock, role: 'uac' | 'uas', policy: ExtensionPolicy, peer: () => Side, port: number): Side {
  const sig = signallingMachine();
  let negotiated = false;
  const me: Side = {
    ext: undefined as unknown as SessionExtensions,
    media: new SignallingOnlyMedia('127.0.0.1', port),
    dialog: undefined,
    expired: 0,
    changes: 0,
    seen: [],
  };
  const p: SessionPort = {
    role,
    clock,
    media: me.media,
    T1: 500,
    dialog: () => me.dialog,
    signalling: () => sig.state as Signalling,
    setSignalling: (s) => sig.to(s),
    negotiated: () => negotiated,
    setNegotiated: () => void (negotiated = true),
    connected: () => negotiated,
    // the peer's side of every request we send, answered in memory
    send: (req) =>
      new Promise<SipResponse>((resolve) => {
        const other = peer();
        other.seen.push(req.method);
        const t = tx(req, resolve);
        if (req.method === 'PRACK') other.ext.onPrack(t);
        else if (req.method === 'UPDATE') other.ext.onUpdate(t, other.dialog!);
        else other.ext.onAppRequest(t);
      }),
    serial: async (attempt) => (await attempt()).value,
    refreshByInvite: () => Promise.reject(new Error('not used')),
    mediaChanged: () => void me.changes++,
    expire: () => void me.expired++,
    error: (e) => assert.fail(e),
    handlers: new RequestHandlers({ clock }),
    contactHeader: () => `<sip:${role}@127.0.0.1>`,
  };
  me.ext = new SessionExtensions(p, policy);
  return me;
}

const REL: ExtensionPolicy = { rel100: 'required', update: true, timers: { mode: 'supported', interval: 90 } };

/** A calls B: INVITE with A's offer; B answers in a reliable 183, A PRACKs it. */
function setup(policyA: ExtensionPolicy = REL, policyB: ExtensionPolicy = REL) {
  const clock = new FakeClock();
  const box: { a?: Side; b?: Side } = {};
  const a = side(clock, 'uac', policyA, () => box.b!, 4000);
  const b = side(clock, 'uas', policyB, () => box.a!, 5000);
  Object.assign(box, { a, b });
  const invite = createRequest({
    method: 'INVITE',
    uri: 'sip:b@127.0.0.1',
    from: '<sip:a@127.0.0.1>',
    to: '<sip:b@127.0.0.1>',
    contact: '<sip:a@127.0.0.1>',
    headers: [['Supported', '100rel, timer'], ['Allow', 'INVITE, UPDATE, PRACK'], ...a.ext.inviteHeaders()],
    body: a.media.createOffer(),
    contentType: 'application/sdp',
  });
  portOf(a).setSignalling('have-local-offer');
  return { clock, a, b, invite };
}

function portOf(s: Side): SessionPort {
  return (s.ext as unknown as { port: SessionPort }).port;
}

test('offer in the INVITE answered in a reliable 183; the PRACK completes it and releases the 2xx', async () => {
  const { a, b, invite } = setup();
  assert.equal(b.ext.checkInvite(invite), undefined);
  assert.equal(b.ext.reliable, true);
  b.dialog = Dialog.fromUas(invite, 'btag', new NameAddr(parseUri('sip:b@127.0.0.1')));
  const answer = b.media.answerOffer(invite.body);
  const r183 = createResponse(invite, 183, { toTag: 'btag', body: answer, contentType: 'application/sdp' });
  let finalReleased = false;
  const wire: SipResponse[] = [];
  const acked = b.ext.provisional(
    r183,
    (r) => {
      wire.push(r);
      a.dialog ??= Dialog.fromUac(invite, r);
      a.ext.onProvisional(r, a.dialog, true);
    },
    'answer',
  );
  void b.ext.beforeFinal().then(() => (finalReleased = true));
  await acked;
  assert.equal(wire[0]!.get('RSeq') !== undefined, true);
  assert.deepEqual(b.seen, ['PRACK']);
  assert.equal(a.media.state.negotiated, true, 'the answer in the 183 was applied');
  await Promise.resolve();
  assert.equal(finalReleased, true);
  b.ext.finalSent();
});

test('UPDATE hold and resume in both directions; an UPDATE offer crossing ours gets 491', async () => {
  const { a, b, invite } = setup();
  b.ext.checkInvite(invite);
  b.dialog = Dialog.fromUas(invite, 'btag', new NameAddr(parseUri('sip:b@127.0.0.1')));
  const r200 = createResponse(invite, 200, {
    toTag: 'btag',
    body: b.media.answerOffer(invite.body),
    contentType: 'application/sdp',
  });
  a.media.applyAnswer(r200.body);
  portOf(a).setSignalling('stable');
  a.dialog = Dialog.fromUac(invite, r200);
  portOf(a).setNegotiated();
  portOf(b).setNegotiated();
  const held = await a.ext.update({ hold: true });
  assert.equal(held.localHold, true);
  assert.equal(b.media.state.remoteHold, true);
  assert.equal(b.changes, 1);
  const resumed = await b.ext.update({ hold: false });
  assert.equal(resumed.localHold, false);
  // glare: B's offer arrives while A's own UPDATE offer is out → 491
  const port = portOf(a);
  port.setSignalling('have-local-offer');
  a.media.createOffer();
  const upd = b.dialog.createRequest('UPDATE', { body: b.media.createOffer(), contentType: 'application/sdp' });
  let status = 0;
  a.ext.onUpdate(
    tx(upd, (r) => (status = r.status)),
    a.dialog,
  );
  assert.equal(status, 491);
});

test('session timer: 422 then retry; the refresher refreshes by UPDATE at SE/2; the other side expires without it', async () => {
  const strictB: ExtensionPolicy = { ...REL, timers: { mode: 'supported', minSE: 120, interval: 1800 } };
  const { clock, a, b, invite } = setup(REL, strictB);
  // 90 s is below B's Min-SE: 422 with Min-SE: 120, and A's retry asks for 120
  const r = b.ext.checkInvite(invite);
  assert.deepEqual(r, { status: 422, headers: [['Min-SE', '120']] });
  const retry = a.ext.refresh.onResponse(createResponse(invite, 422, { headers: r!.headers }));
  assert.deepEqual(retry, [
    ['Session-Expires', '120'],
    ['Min-SE', '120'],
  ]);
  const invite2 = createRequest({
    method: 'INVITE',
    uri: 'sip:b@127.0.0.1',
    from: invite.from!,
    to: '<sip:b@127.0.0.1>',
    callId: invite.callId!,
    cseq: 2,
    headers: [['Supported', '100rel, timer'], ...retry!],
  });
  assert.equal(b.ext.checkInvite(invite2), undefined);
  b.dialog = Dialog.fromUas(invite2, 'btag', new NameAddr(parseUri('sip:b@127.0.0.1')));
  const ok = createResponse(invite2, 200, {
    toTag: 'btag',
    headers: [['Allow', 'INVITE, UPDATE'], ...b.ext.finalHeaders()],
  });
  assert.equal(ok.get('Session-Expires'), '120;refresher=uac');
  b.ext.refresh.answeredRefresh();
  a.dialog = Dialog.fromUac(invite2, ok);
  a.ext.refresh.onResponse(ok);
  assert.deepEqual(a.ext.refresh.session, { interval: 120, refresher: true });
  assert.deepEqual(b.ext.refresh.session, { interval: 120, refresher: false });
  clock.advance(60_000);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(b.seen, ['UPDATE'], 'A refreshed with an UPDATE (B allows it)');
  // the refresh restarted B's interval: no expiry at the first deadline (120 - 32 = 88 s)
  clock.advance(30_000);
  assert.equal(b.expired, 0);
  // A stops refreshing (gone): B gives up 88 s after the last refresh
  a.ext.close();
  clock.advance(58_000 - 1);
  assert.equal(b.expired, 0);
  clock.advance(1);
  assert.equal(b.expired, 1);
  b.ext.close();
});

test('in-dialog INFO and MESSAGE reach the handlers; 100rel off answers an INVITE requiring it 420', async () => {
  const { b, invite } = setup();
  const off = side(new FakeClock(), 'uas', { ...REL, rel100: 'off' }, () => b, 6000);
  invite.set('Require', '100rel');
  assert.deepEqual(off.ext.checkInvite(invite), { status: 420, headers: [['Unsupported', '100rel']] });
  const plain = createRequest({
    method: 'INVITE',
    uri: 'sip:b@127.0.0.1',
    from: '<sip:a@127.0.0.1>',
    to: '<sip:b@127.0.0.1>',
  });
  assert.deepEqual(b.ext.checkInvite(plain), { status: 421, headers: [['Require', '100rel']] });
  const got: string[] = [];
  const handlers = portOf(b).handlers!;
  handlers.on('INFO', (req) => (got.push(req.body.toString()), { status: 200 }));
  const info = createRequest({
    method: 'INFO',
    uri: 'sip:b@127.0.0.1',
    from: '<sip:a@127.0.0.1>;tag=x',
    to: '<sip:b@127.0.0.1>;tag=y',
    body: 'Signal=5',
    contentType: 'application/dtmf-relay',
  });
  const status = await new Promise<number>((r) => b.ext.onAppRequest(tx(info, (res) => r(res.status))));
  assert.equal(status, 200);
  assert.deepEqual(got, ['Signal=5']);
});
