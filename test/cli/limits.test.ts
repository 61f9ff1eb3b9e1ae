/** Stream limits on the command line: `switchboard proxy` and `switchboard phone` take them as flags. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { cliProcs } from './helpers.js';
import { freePort } from '../interop/ports.js';

const cli = cliProcs();

/** Open `n` TCP connections and report how many the element closed within `ms`. */
async function closedOf(port: number, n: number, ms = 1500): Promise<number> {
  const socks = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(port, '127.0.0.1', () => resolve(s));
          s.once('error', reject);
        }),
    ),
  );
  const shut = await Promise.all(
    socks.map(
      (s) =>
        new Promise<boolean>((resolve) => {
          const t = setTimeout(() => resolve(false), ms);
          s.once('close', () => (clearTimeout(t), resolve(true)));
          s.on('error', () => undefined);
        }),
    ),
  );
  for (const s of socks) s.destroy();
  return shut.filter(Boolean).length;
}

test('switchboard proxy --max-connections-per-source and --message-timeout', async () => {
  const port = await freePort();
  const proxy = cli([
    'proxy',
    '--listen',
    `tcp:127.0.0.1:${port}`,
    '--domain',
    'example.com',
    '--max-connections-per-source',
    '3',
    '--message-timeout',
    '300',
  ]);
  await proxy.waitStderr(/listening on tcp:127\.0\.0\.1/, 15_000);
  assert.equal(await closedOf(port, 6), 3);
  // one byte of a message and nothing more: closed at the 300 ms message deadline
  const s = net.connect(port, '127.0.0.1', () => s.write('O'));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('not closed')), 5000);
    s.once('close', () => (clearTimeout(t), resolve()));
    s.on('error', () => undefined);
  });
});

test('switchboard phone --max-connections-per-source', async () => {
  const port = await freePort();
  const phone = cli([
    'phone',
    '--aor',
    'sip:carol@127.0.0.1',
    '--listen',
    `tcp:127.0.0.1:${port}`,
    '--json',
    '--max-connections-per-source',
    '2',
  ]);
  await phone.event('ready', undefined, 15_000);
  assert.equal(await closedOf(port, 5), 3);
});
