/**
 * Issue 13 §3 against SIPp, both directions: a UAC requiring 100rel (PRACK with the captured
 * RSeq), UPDATE hold/resume, INFO and MESSAGE; session timers with 422, the retry and a refresh
 * by UPDATE. The scenarios check our messages with regexps (test/interop/scenarios/).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, type SipRequest } from '../../src/message/index.js';
import type { MediaState } from '../../src/media/session.js';
import { listeningSipp, runSipp, sippArgs, type SippResult } from '../helpers/sipp.js';
import { localUas } from '../helpers/ua.js';
import { within } from '../helpers/wait.js';
import { freePort } from './ports.js';

const switchboard = localUas({ autoAnswer: 300 });

/** SIPp as UAC against our UA at `port`. */
async function sippUac(scenario: string, port: number): Promise<SippResult> {
  return runSipp(sippArgs({ scenario, remote: port, port: await freePort() }), { timeoutMs: 40_000 });
}
/** SIPp as UAS: resolves once it listens on `sp`, with its run (one call). */
function sippUas(scenario: string, sp: number): Promise<{ done: Promise<SippResult> }> {
  return listeningSipp(sippArgs({ scenario, port: sp }), { port: sp }, { timeoutMs: 40_000 });
}

test('SIPp UAC requiring 100rel → our UA: reliable 180 PRACKed, UPDATE hold/resume, INFO and MESSAGE reach the app', async () => {
  const { ua, port } = await switchboard('rel');
  const seen: string[] = [];
  ua.on('incoming', (c) => {
    c.on('info', (r: SipRequest) => seen.push(`info ${r.body.toString().split('\r\n')[0]}`));
    c.on('message', (r: SipRequest) => seen.push(`message ${r.body.toString().trim()}`));
    c.on('remote-held', () => seen.push('held'));
    c.on('remote-resumed', () => seen.push('resumed'));
  });
  const r = await sippUac('uac-100rel-update.xml', port);
  assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1500)}`);
  assert.deepEqual(seen, ['held', 'resumed', 'info Signal=5', 'message hello']);
});

test('our UA → SIPp UAS answering in a reliable 183: PRACK with RAck 1 1 INVITE, then UPDATE hold/resume', async () => {
  const sp = await freePort();
  const sipp = await sippUas('uas-100rel-update.xml', sp);
  const { ua } = await switchboard('rel-uac', { rel100: 'supported' });
  const call = await ua.call(`sip:service@127.0.0.1:${sp}`);
  assert.equal(call.media.state.negotiated, true);
  assert.equal((await call.update({ hold: true })).localHold, true);
  assert.equal((await call.update({ hold: false })).localHold, false);
  await call.hangup();
  const r = await sipp.done;
  assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1500)}`);
});

test('SIPp UAC with Session-Expires 90 → our UA (Min-SE 120): 422, retry accepted, our refresh by UPDATE', async () => {
  const { port } = await switchboard('timer', { sessionTimers: { mode: 'supported', minSE: 120, refreshAt: 0.02 } });
  const r = await sippUac('uac-timer.xml', port);
  assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1500)}`);
});

test('our UA with timers → SIPp UAS answering 422 Min-SE 3600: retry with 3600, refresher=uac, refresh by UPDATE', async () => {
  const sp = await freePort();
  const sipp = await sippUas('uas-timer.xml', sp);
  // the wire tap resolves when the 200 to our refresh UPDATE comes back
  let refreshed!: () => void;
  const answered = new Promise<void>((r) => (refreshed = r));
  const { ua } = await switchboard('timer-uac', {
    sessionTimers: { mode: 'supported', refreshAt: 0.0005 },
    tap: (e) => {
      const m = e.direction === 'in' ? parseMessage(e.bytes) : undefined;
      if (m && !m.isRequest && m.status === 200 && m.cseq?.method === 'UPDATE') refreshed();
    },
  });
  const call = await ua.call(`sip:service@127.0.0.1:${sp}`);
  assert.equal(call.session.ext.refresh.session?.interval, 3600);
  // refreshAt 0.0005 of 3600 s: the refresh UPDATE goes after 1.8 s
  await within(answered, 10_000, 'the 200 to our refresh UPDATE');
  assert.equal(call.session.ext.refresh.session?.refresher, true);
  await call.hangup();
  const r = await sipp.done;
  assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1500)}`);
});

/** The first emission of `event` on `em`, as its arguments. */
function next<T extends unknown[]>(em: { once(e: string, f: (...a: T) => void): unknown }, event: string): Promise<T> {
  return new Promise((r) => em.once(event, (...a: T) => r(a)));
}

test('SIPp UAC ← early media from our UA (call.progress()): 183 with the answer, the 200 repeats it', async () => {
  const { ua, port } = await switchboard('early', { autoAnswer: false });
  ua.on(
    'incoming',
    (c) =>
      void c
        .progress()
        .then(() => c.answer())
        .catch(() => undefined),
  );
  const r = await sippUac('uac-early-media.xml', port);
  assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1500)}`);
});

test('our UA → SIPp UAS sending 183 with SDP, then 200 with another: media follows the 183, the 200 is the answer', async () => {
  const sp = await freePort();
  const sipp = await sippUas('uas-early-media.xml', sp);
  const { ua } = await switchboard('early-uac');
  const call = ua.dial(`sip:service@127.0.0.1:${sp}`);
  const [status, media] = await next<[number, MediaState]>(call, 'early-media');
  assert.equal(status, 183);
  assert.equal(media.remotePort, 6000, 'early media goes to the 183 SDP');
  assert.equal(call.signallingState, 'have-local-offer', 'the offer stays open for the 2xx');
  await call.answered();
  assert.equal(call.media.state.remotePort, 6002, "the 200's SDP is the answer (RFC 6337 §3.1)");
  await call.hangup();
  const r = await sipp.done;
  assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1500)}`);
});

test('our UA → SIPp UAS: reliable 183, then SIPp UPDATEs in the early dialog (hold): taken with 200 a=recvonly', async () => {
  const sp = await freePort();
  const sipp = await sippUas('uas-early-update.xml', sp);
  const { ua } = await switchboard('early-update', { rel100: 'supported' });
  const call = ua.dial(`sip:service@127.0.0.1:${sp}`);
  await next(call, 'remote-held');
  assert.equal(call.state, 'ringing', 'held in the early dialog, before the answer');
  await call.answered();
  assert.equal(call.remoteHold, true);
  await call.hangup();
  const r = await sipp.done;
  assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1500)}`);
});

test('SIPp UAC, offerless INVITE requiring 100rel → our UA: our offer in the reliable 183, the answer in the PRACK (RFC 3262 §5)', async () => {
  const { ua, port } = await switchboard('offerless', { autoAnswer: false });
  const media = new Promise<MediaState>((resolve, reject) =>
    ua.on('incoming', (c) => {
      // progress() resolves once the 183 is PRACKed: the PRACK's answer is applied by then
      c.progress()
        .then(() => resolve(c.media.state))
        .then(() => c.answer())
        .catch(reject);
    }),
  );
  const r = await sippUac('uac-offerless-100rel.xml', port);
  assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1500)}`);
  const state = await media;
  assert.equal(state.negotiated, true, 'the answer in the PRACK completed our offer');
  assert.equal(state.remotePort, 6010, "media goes to the PRACK's SDP");
});

test('SIPp UAC, offerless INVITE requiring 100rel → our ringing UA: the reliable 180 carries our offer (RFC 3262 §5)', async () => {
  const { ua, port } = await switchboard('offerless-ring', { autoAnswer: false });
  const media = new Promise<MediaState>((resolve, reject) =>
    ua.on('incoming', (c) =>
      // the 180 with our offer goes out; the 2xx waits for its PRACK (RFC 3262 §3)
      c.once('early-media', () => {
        c.answer()
          .then(() => resolve(c.media.state))
          .catch(reject);
      }),
    ),
  );
  const r = await sippUac('uac-offerless-100rel-ring.xml', port);
  assert.equal(r.code, 0, `sipp failed: ${r.errors || r.stderr.slice(-1500)}`);
  const state = await media;
  assert.equal(state.negotiated, true);
  assert.equal(state.remotePort, 6010, "media goes to the PRACK's SDP");
});
