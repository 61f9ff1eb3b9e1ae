/**
 * The digest defect of issue 13 §6, through the UA core: after a challenged INVITE ends 486/487/603,
 * the next challenge is still answered; two concurrent challenged INVITEs are both answered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DigestClient, DigestServer } from '../../src/auth/index.js';
import { UserAgentCore } from '../../src/dialog/user-agent-core.js';
import { createRequest, createResponse, createVia, type SipRequest } from '../../src/message/index.js';
import { FakeClock } from '../../src/util/clock.js';
import type { Target } from '../../src/transport/types.js';
import { FakeTransport } from '../transaction/fake-transport.js';

/** A proxy that challenges (407) every INVITE without valid credentials, then answers with `final`. */
class ChallengingPeer extends FakeTransport {
  readonly server = new DigestServer({ realm: 'atlanta.example.com', users: () => ({ password: 'secret' }) });
  challenges = 0;
  constructor(
    clock: FakeClock,
    private readonly final: (req: SipRequest) => number,
  ) {
    super(clock);
  }
  override send(...args: Parameters<FakeTransport['send']>): Promise<void> {
    const [message] = args;
    const p = super.send(...args);
    if (message.isRequest && (message as SipRequest).method === 'INVITE') {
      const req = this.sent.at(-1)!.message as SipRequest;
      void this.server.verify(req, { proxy: true }).then(({ ok }) => {
        if (!ok) this.challenges++;
        const res = ok
          ? createResponse(req, this.final(req), { toTag: 'uas1' })
          : createResponse(req, 407, {
              headers: this.server.challenges().map((c) => ['Proxy-Authenticate', c] as [string, string]),
            });
        setImmediate(() => this.inject(res));
      });
    }
    return p;
  }
}

const target: Target = { protocol: 'udp', host: '192.0.2.9', port: 5070 };
function invite(): SipRequest {
  return createRequest({
    method: 'INVITE',
    uri: 'sip:bob@biloxi.example.com',
    from: 'sip:alice@atlanta.example.com',
    to: 'sip:bob@biloxi.example.com',
    via: createVia('UDP', '192.0.2.1', 5060),
    contact: '<sip:alice@192.0.2.1>',
  });
}
function core(peer: ChallengingPeer, clock: FakeClock): { ua: UserAgentCore; client: DigestClient } {
  const client = new DigestClient({ username: 'alice', password: 'secret' });
  const ua = new UserAgentCore({
    transport: peer,
    clock,
    authenticator: client,
    resolve: () => Promise.resolve([target]),
  });
  return { ua, client };
}

test('UA core: challenged INVITEs ending 486, 487, 603 do not spoil the next challenge', async () => {
  const clock = new FakeClock();
  const finals = [486, 487, 603, 486];
  const peer = new ChallengingPeer(clock, () => finals[0]!);
  const { ua, client } = core(peer, clock);
  for (const status of [...finals]) {
    const res = await ua.send(invite());
    assert.equal(res.status, status, `the INVITE got past the challenge to its ${status}`);
    finals.shift();
  }
  assert.equal(peer.challenges, 4);
  assert.equal(client.pendingChains, 0, 'each chain forgotten once settled');
});

test('UA core: two concurrent challenged INVITEs are both answered', async () => {
  const clock = new FakeClock();
  const peer = new ChallengingPeer(clock, () => 603);
  const { ua } = core(peer, clock);
  const [a, b] = await Promise.all([ua.send(invite()), ua.send(invite())]);
  assert.equal(a.status, 603);
  assert.equal(b.status, 603);
  assert.equal(peer.challenges, 2);
});
