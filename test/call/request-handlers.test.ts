/** Per-method handlers (INFO, MESSAGE, OPTIONS, SUBSCRIBE/NOTIFY hooks) and the capability lists. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequest } from '../../src/message/index.js';
import { FakeClock } from '../../src/util/clock.js';
import { RequestHandlers } from '../../src/call/request-handlers.js';
import { capabilities, DEFAULT_CAPABILITIES } from '../../src/call/capabilities.js';

function req(method: string, headers: [string, string][] = [], body?: string) {
  return createRequest({
    method,
    uri: 'sip:bob@127.0.0.1',
    from: '<sip:alice@127.0.0.1>',
    to: '<sip:bob@127.0.0.1>',
    headers,
    ...(body ? { body, contentType: 'text/plain' } : {}),
  });
}
const OUT = { inDialog: false };

test('defaults: INFO/MESSAGE 200, Info-Package nobody takes 469, OPTIONS capabilities, SUBSCRIBE 489, NOTIFY 481', async () => {
  const h = new RequestHandlers({ clock: new FakeClock(), capabilityHeaders: () => [['Allow', 'INVITE']] });
  assert.equal((await h.handle(req('INFO'), OUT)).status, 200);
  assert.equal((await h.handle(req('INFO', [['Info-Package', 'foo']]), OUT)).status, 469);
  assert.equal((await h.handle(req('MESSAGE', [], 'hi'), OUT)).status, 200);
  assert.deepEqual(await h.handle(req('OPTIONS'), OUT), { status: 200, headers: [['Allow', 'INVITE']] });
  const sub = await h.handle(req('SUBSCRIBE', [['Event', 'presence']]), OUT);
  assert.equal(sub.status, 489);
  assert.deepEqual(sub.headers, [['Allow-Events', '']]);
  assert.equal((await h.handle(req('SUBSCRIBE'), OUT)).status, 400);
  assert.equal((await h.handle(req('NOTIFY', [['Event', 'dialog']]), OUT)).status, 481);
});

test('handlers reach the application and answer; undefined falls back to the default', async () => {
  const h = new RequestHandlers({ clock: new FakeClock() });
  const got: string[] = [];
  const off = h.on('MESSAGE', (r, ctx) => {
    got.push(`${r.body.toString()} ${ctx.inDialog}`);
    return { status: 202, reason: 'Accepted' };
  });
  h.on('INFO', () => undefined);
  assert.deepEqual(await h.handle(req('MESSAGE', [], 'hello'), { inDialog: true }), {
    status: 202,
    reason: 'Accepted',
  });
  assert.deepEqual(got, ['hello true']);
  assert.equal((await h.handle(req('INFO'), OUT)).status, 200);
  off();
  assert.equal(h.has('MESSAGE'), false);
  const removeDialog = h.addEventPackage('Dialog', {
    subscribe: async () => ({ status: 202, headers: [['Expires', '600']] }),
    notify: () => ({ status: 200 }),
  });
  assert.deepEqual(h.events, ['dialog']);
  assert.equal((await h.handle(req('SUBSCRIBE', [['Event', 'dialog;id=1']]), OUT)).status, 202);
  assert.equal((await h.handle(req('NOTIFY', [['Event', 'dialog']]), OUT)).status, 200);
  assert.deepEqual((await h.handle(req('SUBSCRIBE', [['Event', 'presence']]), OUT)).headers, [
    ['Allow-Events', 'dialog'],
  ]);
  removeDialog();
  assert.equal(h.acceptsSubscribe, false);
});

test('a throwing, lying or silent handler gets 500, never a hung transaction (fake time)', async () => {
  const clock = new FakeClock();
  const h = new RequestHandlers({ clock, handlerTimeout: 5000 });
  h.on('INFO', () => {
    throw new Error('secret detail');
  });
  const thrown = await h.handle(req('INFO'), OUT);
  assert.equal(thrown.status, 500);
  assert.doesNotMatch(thrown.reason ?? '', /secret/);
  h.on('INFO', () => ({ status: 180 }));
  assert.equal((await h.handle(req('INFO'), OUT)).status, 500);
  h.on('INFO', () => new Promise(() => undefined));
  const p = h.handle(req('INFO'), OUT);
  clock.advance(4999);
  let done = false;
  void p.then(() => (done = true));
  await Promise.resolve();
  assert.equal(done, false);
  clock.advance(1);
  assert.match((await p).reason ?? '', /did not answer/);
  assert.equal(clock.pending, 0);
});

test('Allow and Supported list only what is enabled', () => {
  const all = capabilities({ ...DEFAULT_CAPABILITIES, events: ['dialog'] });
  assert.deepEqual(all.allow, [
    'INVITE',
    'ACK',
    'CANCEL',
    'BYE',
    'OPTIONS',
    'REFER',
    'NOTIFY',
    'PRACK',
    'UPDATE',
    'INFO',
    'MESSAGE',
    'SUBSCRIBE',
  ]);
  assert.deepEqual(all.supported, ['replaces', 'norefersub', '100rel', 'timer']);
  assert.deepEqual(all.allowEvents, ['refer', 'dialog']);
  const none = capabilities({ rel100: 'off', timer: 'off', update: false, info: false, message: false, events: [] });
  assert.deepEqual(none.allow, ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REFER', 'NOTIFY']);
  assert.deepEqual(none.supported, ['replaces', 'norefersub']);
});
