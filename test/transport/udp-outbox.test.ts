import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { once } from 'node:events';
import { UdpOutbox } from '../../src/transport/udp-outbox.js';

async function pair(): Promise<{ a: dgram.Socket; b: dgram.Socket; port: number; got: string[] }> {
  const a = dgram.createSocket('udp4');
  const b = dgram.createSocket('udp4');
  await Promise.all([
    new Promise<void>((r) => a.bind(0, '127.0.0.1', r)),
    new Promise<void>((r) => b.bind(0, '127.0.0.1', r)),
  ]);
  const got: string[] = [];
  b.on('message', (m) => got.push(m.toString()));
  return { a, b, port: b.address().port, got };
}

test('UdpOutbox: datagrams of one turn go after it, in order, each with its callback', async () => {
  const { a, b, port, got } = await pair();
  const box = new UdpOutbox();
  const done: string[] = [];
  for (const m of ['one', 'two', 'three'])
    box.send(a, Buffer.from(m), port, '127.0.0.1', (e) => done.push(e ? 'err' : m));
  // nothing left in this turn: the sends wait for the check phase
  assert.deepEqual(done, []);
  while (got.length < 3) await once(b, 'message');
  assert.deepEqual(got, ['one', 'two', 'three']);
  assert.deepEqual(done, ['one', 'two', 'three']);
  a.close();
  b.close();
});

test('UdpOutbox: a socket closed while its datagram waited reports an error to the sender; immediate mode sends at once', async () => {
  const { a, b, port, got } = await pair();
  const box = new UdpOutbox();
  const err = new Promise<Error | null>((r) => box.send(a, Buffer.from('late'), port, '127.0.0.1', r));
  a.close();
  assert.ok((await err) instanceof Error);
  const c = dgram.createSocket('udp4');
  await new Promise<void>((r) => c.bind(0, '127.0.0.1', r));
  const now = new UdpOutbox(true);
  const sent = new Promise<Error | null>((r) => now.send(c, Buffer.from('now'), port, '127.0.0.1', r));
  assert.equal(await sent, null);
  while (!got.includes('now')) await once(b, 'message');
  assert.deepEqual(got, ['now']);
  b.close();
  c.close();
});
