import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cliProcs, run, startPhone, startProxy } from './helpers.js';
import { loadManifest, vectorDir } from '../helpers/vectors.js';

const parseMany = fileURLToPath(new URL('./parse-many.js', import.meta.url));
const cli = cliProcs();

test('switchboard --help and usage errors', async () => {
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  for (const c of ['parse', 'demo', 'phone', 'proxy', 'trace']) assert.match(help.stdout, new RegExp(`\\b${c}\\b`));
  assert.equal((await run(['--no-such-flag'])).code, 2);
  assert.equal((await run(['demo', '--transport', 'carrier-pigeon'])).code, 2);
  assert.equal((await run(['parse', '/no/such/file'])).code, 2);
});

test('switchboard parse: JSON for every accepted vector, "error: <reason> at byte <N>" for rejected ones', async () => {
  // every vector through the CLI's main() in one process (parse-many.js); one accepted and one rejected
  // vector also through bin/switchboard.js, as its own process, below
  for (const set of ['rfc4475', 'rfc5118'] as const) {
    const entries = loadManifest(set);
    const batch = spawnSync(process.execPath, [parseMany, ...entries.map((e) => vectorDir(set) + e.file)], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    assert.equal(batch.status, 0, batch.stderr);
    const results = JSON.parse(batch.stdout) as { code: number; stdout: string; stderr: string }[];
    assert.equal(results.length, entries.length);
    for (const [i, e] of entries.entries()) {
      const r = results[i]!;
      if (e.parser === 'accept') {
        assert.equal(r.code, 0, `${e.file}: ${r.stderr}`);
        const j = JSON.parse(r.stdout) as { type: string; headers: unknown[]; body: { length: number } };
        assert.ok(j.type === 'request' || j.type === 'response');
        assert.ok(j.headers.length > 0);
      } else if (e.parser === 'reject') {
        assert.equal(r.code, 1, e.file);
        assert.match(r.stderr, /^error: .+ at byte \d+\n$/);
      } else assert.ok(r.code === 0 || (r.code === 1 && /^error: .+ at byte \d+/.test(r.stderr)), e.file);
    }
  }
  const accepted = await run(['parse', vectorDir('rfc4475') + 'esc01.dat']);
  assert.equal(accepted.code, 0, accepted.stderr);
  assert.equal((JSON.parse(accepted.stdout) as { method: string }).method, 'INVITE');
  const rejected = loadManifest('rfc4475').find((e) => e.parser === 'reject')!;
  const refused = await run(['parse', vectorDir('rfc4475') + rejected.file]);
  assert.equal(refused.code, 1, rejected.file);
  assert.match(refused.stderr, /^error: .+ at byte \d+\n$/);
  // stdin
  const stdin = await run(['parse', '-'], readFileSync(vectorDir('rfc4475') + 'esc01.dat', 'latin1'));
  assert.equal(stdin.code, 0);
  assert.equal((JSON.parse(stdin.stdout) as { method: string }).method, 'INVITE');
});

test('switchboard phone: two phones call, hold, resume, hang up; bad input keeps the phone running', async () => {
  const [{ proc: bob, contact: bobContact }, { proc: alice }] = await Promise.all([
    startPhone(cli, 'bob', { autoAnswer: 0 }),
    startPhone(cli, '"Alice" <sip:alice@127.0.0.1>'),
  ]);
  alice.send('bogus command');
  const err = await alice.event('error');
  assert.match(String(err.message), /unknown command/);
  alice.send('call not a uri');
  await alice.event('error', (o) => /bad URI/.test(String(o.message)));
  alice.send('hold c99');
  await alice.event('error', (o) => /no such call/.test(String(o.message)));
  alice.send(`call ${bobContact}`);
  const est = await alice.event('established');
  assert.ok(String(est.call).startsWith('c'));
  const inc = await bob.event('incoming');
  assert.match(String(inc.from), /Alice/);
  alice.send('hold');
  await alice.event('held');
  await bob.event('remote-held');
  alice.send('resume');
  await alice.event('resumed');
  await bob.event('remote-resumed');
  alice.send('calls');
  const listed = await alice.event('call');
  assert.equal(listed.state, 'established');
  alice.send('hangup');
  await alice.event('terminated');
  const bt = await bob.event('terminated');
  assert.equal(bt.reason, 'remote-bye');
  alice.send('quit');
  bob.send('quit');
  assert.equal(await alice.exited, 0);
  assert.equal(await bob.exited, 0);
});

test('switchboard phone: `progress` sends 183 with early media, the caller reports early-media, then the call is answered', async () => {
  const [{ proc: bob, contact: bobContact }, { proc: alice }] = await Promise.all([
    startPhone(cli, 'bob'),
    startPhone(cli, 'alice'),
  ]);
  alice.send(`call ${bobContact}`);
  const inc = await bob.event('incoming');
  bob.send(`progress ${String(inc.call)}`);
  const early = await alice.event('early-media');
  assert.equal(early.status, 183);
  assert.match(String(early.remote), /^127\.0\.0\.1:\d+$/);
  assert.equal((await bob.event('early-media')).status, 183);
  bob.send(`answer ${String(inc.call)}`);
  await alice.event('established');
  alice.send('hangup');
  await bob.event('terminated');
  alice.send('quit');
  bob.send('quit');
  assert.equal(await alice.exited, 0);
  assert.equal(await bob.exited, 0);
});

test('switchboard proxy + phones: registration with a users file, a call through the proxy, clean shutdown on SIGTERM', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'sb-proxy-'));
  writeFileSync(join(dir, 'users'), '# test users\nalice:a-secret\nbob:b-secret\n');
  const { proc: proxy, port } = await startProxy(cli, ['--users', join(dir, 'users'), '--record-route', '--verbose']);
  const common = [
    '--listen',
    'udp:127.0.0.1:0',
    '--registrar',
    `sip:example.com`,
    '--outbound-proxy',
    `sip:127.0.0.1:${port};lr`,
    '--json',
  ];
  const bob = cli([
    'phone',
    '--aor',
    'sip:bob@example.com',
    '--user',
    'bob',
    '--password',
    'b-secret',
    '--auto-answer',
    '0',
    ...common,
  ]);
  const alice = cli([
    'phone',
    '--aor',
    'sip:alice@example.com',
    '--user',
    'alice',
    '--password',
    'a-secret',
    ...common,
  ]);
  await bob.event('registered');
  await alice.event('registered');
  alice.send('call sip:bob@example.com');
  await alice.event('established');
  await bob.event('established');
  alice.send('hold');
  await bob.event('remote-held');
  alice.send('hangup');
  await bob.event('terminated');
  assert.ok(
    !alice.lines.join('\n').includes('a-secret') && !proxy.stderr.includes('a-secret'),
    'passwords are never printed',
  );
  assert.match(proxy.stderr, /INVITE sip:bob@example\.com -> 407/);
  alice.send('quit');
  bob.send('quit');
  await Promise.all([alice.exited, bob.exited]);
  proxy.child.kill('SIGTERM');
  assert.equal(await proxy.exited, 0);
  assert.match(proxy.stderr, /proxy stopped/);
});
