import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onWire, once, phoneMaker, sent } from './helpers.js';
import type { Call } from '../../src/call/call.js';
import type { SipRequest } from '../../src/message/index.js';

const make = phoneMaker();

test('the callee keeps its INVITE as text once ACKed: call.invite reads it again, and its BYE still goes by it (§12.1.1)', async () => {
  const alice = await make('alice');
  const bob = await make('bob');
  const incoming = once<[Call]>(bob.ua, 'incoming');
  const ac = alice.ua.dial(bob.uri, { headers: [['X-Bot', 'queue-7']] });
  const [bc] = await incoming;
  const first = bc.invite;
  await Promise.all([once(ac, 'established'), once(bc, 'established')]);
  // the stored form is made once the ACK is in
  await onWire(bob, 'in', (m) => m.isRequest && (m as SipRequest).method === 'ACK');
  await new Promise<void>((r) => setImmediate(r));
  const again = bc.invite;
  assert.notEqual(again, first, 'parsed again from the stored text');
  assert.ok(again.toBuffer().equals(first.toBuffer()), 'the same INVITE on the wire');
  assert.equal(again.get('X-Bot'), 'queue-7');
  assert.equal(bc.invite, again, 'kept parsed once read');
  assert.equal(bc.remoteIdentity.uri.toString(), first.from!.uri.toString());
  // the dialog reads From, To and Contact of the stored INVITE for Bob's BYE
  const ended = once<[{ reason: string }]>(ac, 'terminated');
  await bc.hangup();
  assert.equal((await ended)[0].reason, 'remote-bye');
  const bye = sent(bob, 'BYE').at(-1)!;
  assert.equal(bye.to!.uri.toString(), first.from!.uri.toString());
  assert.equal(bye.to!.tag, first.from!.tag);
  assert.equal(bye.from!.uri.toString(), first.to!.uri.toString());
  const contact = first.contact;
  assert.ok(contact !== '*' && contact.length > 0);
  assert.equal(bye.uri.toString(), contact[0]!.uri.toString(), 'to the INVITE Contact (remote target)');
});
