import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamFramer, SipParseError, parseMessage } from '../../src/index.js';

const msg = (n: number, body = '') =>
  Buffer.from(
    `OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK${n}\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c${n}\r\nCSeq: ${n} OPTIONS\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );

test('framer: byte-by-byte delivery yields exactly the messages', () => {
  const all = Buffer.concat([msg(1, 'hello'), msg(2), msg(3, 'x')]);
  const f = new StreamFramer();
  const got: Buffer[] = [];
  for (let i = 0; i < all.length; i++)
    for (const ev of f.push(all.subarray(i, i + 1))) if (ev.type === 'message') got.push(ev.bytes);
  assert.equal(got.length, 3);
  assert.equal(parseMessage(got[0]!, { mode: 'stream' }).body.toString(), 'hello');
  assert.equal(parseMessage(got[2]!, { mode: 'stream' }).callId, 'c3');
  assert.equal(f.pending, 0);
});

test('framer: several messages in one chunk, keep-alives between them', () => {
  const f = new StreamFramer();
  const evs = f.push(Buffer.concat([Buffer.from('\r\n\r\n'), msg(1), Buffer.from('\r\n'), msg(2)]));
  assert.deepEqual(
    evs.map((e) => e.type),
    ['ping', 'message', 'pong', 'message'],
  );
  // a lone CRLF at the end of a chunk is a pong, unless it becomes a ping
  assert.deepEqual(
    f.push(Buffer.from('\r\n')).map((e) => e.type),
    ['pong'],
  );
  assert.deepEqual(
    f.push(Buffer.from('\r\n\r')).map((e) => e.type),
    [],
  );
  assert.deepEqual(
    f.push(Buffer.from('\n')).map((e) => e.type),
    ['ping'],
  );
});

test('framer: missing or bad Content-Length and limits are fatal', () => {
  assert.throws(
    () => new StreamFramer().push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n')),
    /mandatory/,
  );
  assert.throws(
    () => new StreamFramer().push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nl: -5\r\n\r\n')),
    /invalid Content-Length/,
  );
  assert.throws(() => new StreamFramer({ maxHeaderBytes: 100 }).push(Buffer.alloc(200, 65)), /header section exceeds/);
  assert.throws(() => new StreamFramer({ maxBodyBytes: 10 }).push(msg(1, 'x'.repeat(20))), /exceeds the limit/);
  const f = new StreamFramer();
  assert.throws(() => f.push(Buffer.from('X sip:a SIP/2.0\r\nContent-Length: a\r\n\r\n')), SipParseError);
  assert.throws(() => f.push(msg(1)), SipParseError, 'a failed stream stays failed');
});
