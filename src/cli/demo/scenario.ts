import type { Call } from '../../call/call.js';
import { parseMessage, parseSipfrag, parseUri, type SipRequest, type SipResponse } from '../../message/index.js';
import type { TraceEntry } from '../../trace/index.js';
import type { Lab } from './lab.js';
import { audioBothWays, heldSideSilent } from './media-checks.js';

export interface Check {
  step: string;
  ok: boolean;
  detail: string;
}

type Wire = { e: TraceEntry; m: SipRequest | SipResponse };

function wire(lab: Lab, from = 0): Wire[] {
  const out: Wire[] = [];
  for (const e of lab.recorder.entries.slice(from)) {
    try {
      out.push({ e, m: parseMessage(e.bytes) });
    } catch {
      /* not a SIP message */
    }
  }
  return out;
}
const req = (w: Wire[], element: string, direction: 'in' | 'out', method: string) =>
  w
    .filter(
      (x) =>
        x.e.element === element &&
        x.e.direction === direction &&
        x.m.isRequest &&
        (x.m as SipRequest).method === method,
    )
    .map((x) => x.m as SipRequest);
const res = (w: Wire[], element: string, direction: 'in' | 'out', method: string, status?: number) =>
  w
    .filter(
      (x) =>
        x.e.element === element &&
        x.e.direction === direction &&
        !x.m.isRequest &&
        x.m.cseq?.method === method &&
        (status === undefined || (x.m as SipResponse).status === status),
    )
    .map((x) => x.m as SipResponse);
const dir = (m: { body: Buffer } | undefined) =>
  m ? /a=(sendrecv|sendonly|recvonly|inactive)/.exec(m.body.toString())?.[1] : undefined;

function waitFor<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`timed out waiting for ${what}`)), ms)),
  ]);
}
const event = (em: Call | import('../../ua/user-agent.js').UserAgent, name: string, ms = 10_000) =>
  waitFor(
    new Promise<unknown[]>((r) => (em as import('node:events').EventEmitter).once(name, (...a: unknown[]) => r(a))),
    ms,
    name,
  );
const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));

async function established(c: Call): Promise<void> {
  if (c.state !== 'established') await event(c, 'established');
}

export type Scenario = 'hold' | 'blind' | 'attended' | 'all';

/** Every request a phone sent (initial and in-dialog) went to the proxy, never straight to a phone. */
function proxyCheck(lab: Lab, report: (c: Check) => void): Check[] {
  const proxy = lab.proxyTransport.address(lab.transport)!;
  const sentByPhones = wire(lab).filter((x) => x.e.element !== 'proxy' && x.e.direction === 'out' && x.m.isRequest);
  const stray = sentByPhones.filter((x) => x.e.remote.port !== proxy.port);
  const methods = [...new Set(sentByPhones.map((x) => (x.m as SipRequest).method))].sort().join(', ');
  const c = {
    step: '7 Every request crossed the proxy',
    ok: stray.length === 0 && sentByPhones.length > 0,
    detail: `${sentByPhones.length} requests (${methods}) sent by the phones, ${stray.length} bypassed the proxy`,
  };
  report(c);
  return [c];
}

/**
 * The hold-and-transfer story of Switchboard, checked on the messages that crossed the wire.
 * Each step pushes checks; the caller prints them and the ladder.
 */
export async function runScenario(lab: Lab, scenario: Scenario, report: (c: Check) => void): Promise<Check[]> {
  const checks: Check[] = [];
  const check = (step: string, ok: boolean, detail: string) => {
    const c = { step, ok, detail };
    checks.push(c);
    report(c);
  };
  const { alice, bob, carol } = lab.phones;
  const scheme = lab.transport === 'tls' || lab.transport === 'wss' ? 'sips' : 'sip';
  check('0 registration', true, `alice, bob and carol registered with digest auth over ${lab.transport.toUpperCase()}`);

  // 1. Alice calls Bob through the proxy
  let mark = lab.recorder.entries.length;
  const bobIncoming = event(bob, 'incoming');
  const ab = alice.dial(lab.aor('bob'));
  const [ba] = (await bobIncoming) as [Call];
  await Promise.all([established(ab), established(ba)]);
  await settle();
  let w = wire(lab, mark);
  const inviteOut = req(w, 'alice', 'out', 'INVITE').at(-1);
  const inviteAtBob = req(w, 'bob', 'in', 'INVITE').at(-1);
  check(
    '1 Alice calls Bob',
    !!inviteOut &&
      /;lr/.test(inviteOut.get('Route') ?? '') &&
      (inviteOut.get('Route') ?? '').includes(`${scheme}:ss1.example.com`) &&
      !!inviteAtBob?.has('Record-Route') &&
      res(w, 'alice', 'in', 'INVITE', 200).length > 0 &&
      req(w, 'alice', 'out', 'ACK').length > 0,
    `INVITE with Route ${inviteOut?.get('Route') ?? '-'}, Record-Route at Bob ${inviteAtBob?.get('Record-Route') ?? '-'}, 200 OK, ACK`,
  );
  const m1 = await audioBothWays(lab, { name: 'alice', call: ab }, { name: 'bob', call: ba });
  check('1a Audio flows both ways', m1.ok, m1.detail);
  if (scenario === 'hold' || scenario === 'all') {
    // 2. Bob holds Alice
    mark = lab.recorder.entries.length;
    await ba.hold();
    await settle();
    w = wire(lab, mark);
    const hold = req(w, 'bob', 'out', 'INVITE').at(-1);
    const holdAns = res(w, 'bob', 'in', 'INVITE', 200).at(-1);
    const viaProxy = req(w, 'proxy', 'in', 'INVITE').length > 0;
    check(
      '2 Bob holds Alice',
      dir(hold) === 'sendonly' && dir(holdAns) === 'recvonly' && viaProxy && ab.remoteHold,
      `re-INVITE a=${dir(hold)}, answer a=${dir(holdAns)}, through the proxy: ${viaProxy}`,
    );
    const m2 = await heldSideSilent(lab, { name: 'bob', call: ba }, { name: 'alice', call: ab });
    check('2a Held Alice stops sending, Bob keeps sending', m2.ok, m2.detail);
    // 3. Bob resumes
    mark = lab.recorder.entries.length;
    await ba.resume();
    await settle();
    w = wire(lab, mark);
    const resume = req(w, 'bob', 'out', 'INVITE').at(-1);
    const resumeAns = res(w, 'bob', 'in', 'INVITE', 200).at(-1);
    check(
      '3 Bob resumes',
      dir(resume) === 'sendrecv' && dir(resumeAns) === 'sendrecv' && !ab.remoteHold,
      `re-INVITE a=${dir(resume)}, answer a=${dir(resumeAns)}`,
    );
    const m3 = await audioBothWays(lab, { name: 'alice', call: ab }, { name: 'bob', call: ba });
    check('3a Audio flows again', m3.ok, m3.detail);
  }
  if (scenario === 'hold') {
    await ab.hangup();
    await settle(300);
    check('6 hang up', ba.state === 'terminated' && ab.state === 'terminated', 'BYE, 200 OK');
    checks.push(...proxyCheck(lab, report));
    return checks;
  }
  // 4. Alice transfers Bob to Carol (blind)
  mark = lab.recorder.entries.length;
  const carolIncoming = event(carol, 'incoming');
  const transferred = event(ab, 'transferred');
  const bobEnded = event(ba, 'terminated');
  await ab.transfer(parseUri(lab.aor('carol')));
  const [cb] = (await carolIncoming) as [Call];
  await established(cb);
  await transferred;
  await bobEnded;
  await settle(300);
  w = wire(lab, mark);
  const refer = req(w, 'alice', 'out', 'REFER')[0];
  const accepted = res(w, 'alice', 'in', 'REFER', 202).length > 0;
  const notifies = req(w, 'bob', 'out', 'NOTIFY').map((n) => ({
    frag: parseSipfrag(n.body),
    state: n.subscriptionState?.state,
  }));
  const bobInvite = req(w, 'bob', 'out', 'INVITE').at(-1);
  const carolGot = req(w, 'carol', 'in', 'INVITE').at(-1);
  const byeAB = req(w, 'alice', 'out', 'BYE').length + req(w, 'bob', 'out', 'BYE').length > 0;
  check(
    '4 Alice transfers Bob to Carol',
    !!refer &&
      refer.referTo!.uri.toString() === lab.aor('carol') &&
      /alice/.test(refer.get('Referred-By') ?? '') &&
      accepted &&
      notifies[0]?.frag.status === 100 &&
      notifies[0]?.state === 'active' &&
      notifies.at(-1)?.frag.status === 200 &&
      notifies.at(-1)?.state === 'terminated' &&
      /alice/.test(carolGot?.get('Referred-By') ?? '') &&
      !!bobInvite &&
      byeAB &&
      cb.state === 'established' &&
      ab.state === 'terminated',
    `REFER Refer-To ${refer?.get('Refer-To')}, Referred-By ${refer?.get('Referred-By')}; 202; NOTIFY ${notifies.map((n) => `${n.frag.status}/${n.state}`).join(', ')}; Bob's INVITE to Carol carries Referred-By: ${!!carolGot?.get('Referred-By')}; Alice-Bob ended with BYE`,
  );
  // the transfer moved Bob's audio to his new call with Carol
  const bc = [...bob.calls.values()].find((c) => c.invite.callId === cb.invite.callId);
  const m4 = bc
    ? await audioBothWays(lab, { name: 'bob', call: bc }, { name: 'carol', call: cb })
    : { ok: false, detail: "Bob's call with Carol not found" };
  check('4a Carol and Bob talk', m4.ok, m4.detail);
  if (scenario === 'blind') {
    await cb.hangup();
    await settle(300);
    check('6 hang up', cb.state === 'terminated', 'BYE, 200 OK');
    checks.push(...proxyCheck(lab, report));
    return checks;
  }
  // 5. Attended: Carol (talking to Bob) consults Alice, then transfers Bob to Alice with Replaces
  mark = lab.recorder.entries.length;
  await cb.hold();
  const aliceIncoming = event(alice, 'incoming');
  const ca = carol.dial(lab.aor('alice'));
  const [ac] = (await aliceIncoming) as [Call];
  await Promise.all([established(ca), established(ac)]);
  await settle();
  const aliceNew = event(alice, 'incoming');
  const consultEnded = event(ca, 'terminated');
  await cb.transfer(ca);
  const [ab2] = (await aliceNew) as [Call];
  await established(ab2);
  await consultEnded;
  await settle(400);
  w = wire(lab, mark);
  const refer2 = req(w, 'carol', 'out', 'REFER')[0];
  const withReplaces = req(w, 'alice', 'in', 'INVITE').find((i) => i.has('Replaces'));
  check(
    '5 Attended transfer with Replaces',
    !!refer2 &&
      /\?Replaces=/.test(refer2.get('Refer-To') ?? '') &&
      !!withReplaces &&
      withReplaces.replaces!.callId === ca.invite.callId &&
      ab2.state === 'established' &&
      ac.state === 'terminated' &&
      cb.state === 'terminated',
    `REFER Refer-To ${refer2?.get('Refer-To')?.slice(0, 60)}...; Bob's INVITE to Alice has Replaces: ${withReplaces?.get('Replaces')}; consultation call replaced`,
  );
  // 6. everyone hangs up
  mark = lab.recorder.entries.length;
  await ab2.hangup();
  await settle(400);
  w = wire(lab, mark);
  const active = [...alice.calls.values(), ...bob.calls.values(), ...carol.calls.values()].filter(
    (c) => c.state !== 'terminated',
  );
  check(
    '6 Everyone hangs up',
    active.length === 0 && res(w, 'alice', 'in', 'BYE', 200).length > 0,
    `BYE, 200 OK; calls still up: ${active.length}`,
  );
  checks.push(...proxyCheck(lab, report));
  return checks;
}
