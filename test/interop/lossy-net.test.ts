/**
 * Issue 16 item 5: a lossy network for real. Phones (and SIPp) run in one network namespace,
 * `switchboard proxy` in another; between them every packet, both ways, is dropped with
 * probability 10% or delayed 100 ± 20 ms (one way).
 *
 * netem is not available on this kernel (no sch_netem qdisc, no act_gact, no loadable modules), so the
 * impairment is test/helpers/impair-relay.ts on the real L3 path: a middle namespace routes every
 * packet through a TUN device (socat) to that relay and back (see test/helpers/lossy-net.ts). Needs
 * root, iproute2 and socat (installed when missing; CI runs as root); never skipped.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Proc } from '../cli/helpers.js';
import { LEFT_IP, LossyNetwork, RIGHT_IP } from '../helpers/lossy-net.js';
import { listeningSipp, runSipp, scenarios } from '../helpers/sipp.js';

const IMPAIRMENT = { loss: 0.1, delayMs: 100, jitterMs: 20 };
/** One step (a transaction or two) across the link: retransmissions can take several seconds. */
const STEP_MS = 60_000;

let net: LossyNetwork;
const procs: Proc[] = [];
const dir = mkdtempSync(join(tmpdir(), 'sb-lossy-'));

before(async () => {
  net = await LossyNetwork.create(IMPAIRMENT);
});
after(async () => {
  for (const p of procs) p.kill();
  await Promise.all(procs.map((p) => p.exited));
  await net?.close();
  rmSync(dir, { recursive: true, force: true });
});

function startProxy(port: number, domain: string, extra: string[]): Promise<Proc> {
  const proxy = new Proc(
    ['proxy', '--listen', `udp:${RIGHT_IP}:${port}`, '--domain', domain, '--record-route', ...extra],
    undefined,
    net.prefix('right'),
  );
  procs.push(proxy);
  const listening = new RegExp(`listening on udp:${RIGHT_IP.replaceAll('.', '\\.')}:${port}`);
  return proxy.waitStderr(listening, 20_000).then(() => proxy);
}

test(
  'three phones register across the lossy link; alice calls bob, holds, resumes and transfers him to carol',
  { timeout: 300_000 },
  async () => {
    const users = join(dir, 'users');
    writeFileSync(users, 'alice:alice-pw\nbob:bob-pw\ncarol:carol-pw\n');
    await startProxy(5060, 'example.com', ['--users', users]);
    const t0 = performance.now();
    const phone = (name: string, port: number, extra: string[] = []) => {
      const p = new Proc(
        [
          'phone',
          '--aor',
          `sip:${name}@example.com`,
          '--user',
          name,
          '--listen',
          `udp:${LEFT_IP}:${port}`,
          '--registrar',
          'sip:example.com',
          '--outbound-proxy',
          `sip:${RIGHT_IP}:5060;lr`,
          '--json',
          ...extra,
        ],
        { SIP_PASSWORD: `${name}-pw` },
        net.prefix('left'),
      );
      procs.push(p);
      return p;
    };
    const alice = phone('alice', 5061);
    const bob = phone('bob', 5062, ['--auto-answer', '0']);
    const carol = phone('carol', 5063, ['--auto-answer', '0']);
    const steps: string[] = [];
    const mark = (what: string) => steps.push(`${what} at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await Promise.all([alice, bob, carol].map((p) => p.event('registered', undefined, STEP_MS)));
    mark('all registered');

    alice.send('call sip:bob@example.com');
    const first = await alice.event('established', undefined, STEP_MS);
    const bobFirst = await bob.event('established', undefined, STEP_MS);
    mark('alice–bob established');

    alice.send('hold');
    await alice.event('held', undefined, STEP_MS);
    await bob.event('remote-held', undefined, STEP_MS);
    mark('held');
    alice.send('resume');
    await alice.event('resumed', undefined, STEP_MS);
    await bob.event('remote-resumed', undefined, STEP_MS);
    mark('resumed');

    alice.send('transfer sip:carol@example.com');
    const refer = await bob.event('refer-received', undefined, STEP_MS);
    assert.match(String(refer.referTo), /carol@example\.com/);
    const incoming = await carol.event('incoming', undefined, STEP_MS);
    assert.match(String(incoming.from), /bob@example\.com/);
    await carol.event('established', undefined, STEP_MS);
    const bobSecond = await bob.event('established', (o) => o.call !== bobFirst.call, STEP_MS);
    const done = await alice.event('transferred', undefined, STEP_MS);
    assert.equal(done.status, 200);
    // the transferor leaves once the transfer succeeded; bob's first call ends with alice's BYE
    await alice.event('terminated', (o) => o.call === first.call, STEP_MS);
    await bob.event('terminated', (o) => o.call === bobFirst.call, STEP_MS);
    mark('transferred: bob–carol established, alice gone');

    bob.send(`hangup ${String(bobSecond.call)}`);
    const end = await carol.event('terminated', undefined, STEP_MS);
    assert.equal(end.reason, 'remote-bye');
    mark('bob–carol hung up');

    const s = await net.stats();
    const share = s.dropped / s.packets;
    console.log(`# lossy call: ${steps.join('; ')}`);
    console.log(`# relay: ${s.packets} packets, ${s.dropped} dropped (${(share * 100).toFixed(1)}%)`);
    // a call's signalling is ~90 packets, too few to pin the share; the SIPp test below checks it
    assert.ok(s.dropped > 0, 'the link dropped packets');
    for (const p of [alice, bob, carol]) p.send('quit');
    await Promise.all([alice, bob, carol].map((p) => p.exited));
  },
);

test(
  'SIPp uac → switchboard proxy → SIPp uas across the lossy link: 200 calls at 20/s, none failed',
  {
    timeout: 300_000,
  },
  async () => {
    const before = await net.stats();
    await startProxy(5070, RIGHT_IP, ['--quiet']);
    const left = net.prefix('left');
    // SIPp retransmits as RFC 3261 wants (T1 = 500 ms, doubling); with 10% loss on each of two crossings
    // each way, more tries than the defaults keep a transaction's odds of losing every copy negligible
    const common = ['-i', LEFT_IP, '-t', 'u1', '-default_behaviors', 'all,-abortunexp', '-max_invite_retrans', '10'];
    const uas = (
      await listeningSipp(
        ['-sf', join(scenarios, 'lossy-uas.xml'), '-p', '5090', '-m', '200', '-timeout', '150', ...common],
        { port: 5090 },
        { timeoutMs: 200_000, prefix: left },
      )
    ).done;
    const reg = await runSipp(
      [
        '-sf',
        join(scenarios, 'register-contact.xml'),
        `${RIGHT_IP}:5070`,
        '-s',
        'sipp',
        '-p',
        '5092',
        '-key',
        'contact_port',
        '5090',
        '-m',
        '1',
        '-timeout',
        '60',
        ...common,
      ],
      { timeoutMs: 70_000, prefix: left },
    );
    assert.equal(reg.code, 0, `REGISTER: ${reg.errors || reg.stderr.slice(-1000)}`);
    const uac = await runSipp(
      [
        '-sf',
        join(scenarios, 'lossy-uac.xml'),
        `${RIGHT_IP}:5070`,
        '-s',
        'sipp',
        '-p',
        '5091',
        '-r',
        '20',
        '-m',
        '200',
        '-l',
        '400',
        '-max_non_invite_retrans',
        '14',
        '-timeout',
        '150',
        ...common,
      ],
      { timeoutMs: 200_000, prefix: left },
    );
    const server = await uas;
    const after = await net.stats();
    const packets = after.packets - before.packets;
    const dropped = after.dropped - before.dropped;
    console.log(
      `# lossy SIPp: uac ${uac.stats?.successful}/200 ok, ${uac.stats?.failed} failed, ` +
        `${uac.stats?.retransmissions} retransmissions; uas ${server.stats?.successful} ok, ${server.stats?.failed} failed; ` +
        `relay ${packets} packets, ${dropped} dropped (${((dropped / packets) * 100).toFixed(1)}%)`,
    );
    assert.equal(uac.code, 0, uac.errors || uac.stderr.slice(-1000));
    assert.equal(uac.stats?.successful, 200);
    assert.equal(uac.stats?.failed, 0);
    assert.equal(server.stats?.failed, 0, server.errors.slice(-2000));
    assert.ok(dropped / packets > 0.05 && dropped / packets < 0.15, `drop share ${dropped / packets} is near 10%`);
    assert.ok(uac.stats.retransmissions > 0, 'SIPp retransmitted what the link lost');
  },
);
