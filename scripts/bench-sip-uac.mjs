#!/usr/bin/env node
// The reference UAC for `npm run bench -- uac`: calls placed with the npm `sip` package (its
// transactions and transport; the dialogs kept here as any real UAC does: what a BYE needs).
// Started with --expose-gc and IPC; the messages are those of bench/uac-child.ts.
import sip from 'sip';
import { SDP as sdp } from './bench-sip-sdp.mjs';
import { randomUUID } from 'node:crypto';

const target = process.argv[2];
const port = Number(process.argv[3]);
const dialogs = new Map();

/** One call: INVITE, ACK of its 2xx; resolves with its dialog once up, rejects on a failure. */
function call() {
  const callId = randomUUID();
  const invite = {
    method: 'INVITE',
    uri: target,
    headers: {
      to: { uri: target },
      from: { uri: 'sip:uac@127.0.0.1', params: { tag: randomUUID().slice(0, 8) } },
      'call-id': callId,
      cseq: { method: 'INVITE', seq: 1 },
      contact: [{ uri: `sip:uac@127.0.0.1:${port}` }],
      'content-type': 'application/sdp',
    },
    content: sdp,
  };
  return new Promise((resolve, reject) => {
    sip.send(invite, (rs) => {
      if (rs.status < 200) return;
      if (rs.status >= 300) return reject(new Error(`${rs.status}`));
      const remote = rs.headers.contact?.[0]?.uri ?? target;
      const d = { callId, from: invite.headers.from, to: rs.headers.to, remote, seq: 1 };
      // every 2xx (retransmissions too) gets an ACK
      sip.send({
        method: 'ACK',
        uri: remote,
        headers: { to: d.to, from: d.from, 'call-id': callId, cseq: { method: 'ACK', seq: 1 }, via: [] },
      });
      if (!dialogs.has(callId)) {
        dialogs.set(callId, d);
        resolve(d);
      }
    });
  });
}

function bye(d) {
  return new Promise((resolve) => {
    sip.send(
      {
        method: 'BYE',
        uri: d.remote,
        headers: { to: d.to, from: d.from, 'call-id': d.callId, cseq: { method: 'BYE', seq: ++d.seq } },
      },
      (rs) => {
        if (rs.status < 200) return;
        dialogs.delete(d.callId);
        resolve();
      },
    );
  });
}

/** Calls at once in a cycle: npm `sip` loses INVITEs to 408 with 100 at once, so both run 20. */
const IN_FLIGHT = 20;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function hold(n) {
  const all = [];
  for (let i = 0; i < n; i++) {
    all.push(call());
    if (i % 50 === 49) await sleep(100);
  }
  await Promise.all(all);
}

function cycle(n) {
  let next = 0;
  let done = 0;
  return new Promise((resolve, reject) => {
    const one = () => {
      if (next >= n) return;
      next++;
      call()
        .then(bye)
        .then(() => {
          if (++done === n) resolve();
          else one();
        }, reject);
    };
    for (let i = 0; i < IN_FLIGHT; i++) one();
  });
}

sip.start({ port, address: '127.0.0.1', udp: true, tcp: false, logger: {} }, (rq) => {
  // a BYE from the far end ends its dialog
  if (rq.method === 'BYE') dialogs.delete(rq.headers['call-id']);
  if (rq.method !== 'ACK') sip.send(sip.makeResponse(rq, 200, 'OK'));
});

process.on('message', (m) => {
  if (m.type === 'hold')
    void hold(m.n).then(
      () => process.send({ type: 'up' }),
      () => process.send({ type: 'failed' }),
    );
  else if (m.type === 'cycle') {
    const c0 = process.cpuUsage();
    void cycle(m.n).then(
      () => {
        const c = process.cpuUsage(c0);
        process.send({ type: 'cycled', cpuMs: (c.user + c.system) / 1000 });
      },
      (e) => {
        console.error(e);
        process.send({ type: 'failed' });
      },
    );
  } else if (m.type === 'mem') {
    globalThis.gc?.();
    globalThis.gc?.();
    process.send({ type: 'mem', mem: process.memoryUsage(), held: dialogs.size });
  }
});
process.on('SIGTERM', () => process.exit(0));
process.send?.({ type: 'ready' });
