#!/usr/bin/env node
// The reference UAS for `npm run bench`: auto-answer on the npm `sip` package (transactions and
// transport from the library, a dialog map kept here as any real UAS does). Started with
// --expose-gc and an IPC channel; answers {type:'mem'} with its memory after a full collection.
import sip from 'sip';
import { SDP as sdp } from './bench-sip-sdp.mjs';

const port = Number(process.argv[2]);
const dialogs = new Map();
let tagSeq = 0;

sip.start({ port, address: '127.0.0.1', udp: true, tcp: false, logger: {} }, (rq) => {
  const callId = rq.headers['call-id'];
  if (rq.method === 'INVITE') {
    const rs = sip.makeResponse(rq, 200, 'OK');
    const tag = `t${++tagSeq}`;
    rs.headers.to.params.tag = tag;
    rs.headers.contact = [{ uri: `sip:uas@127.0.0.1:${port}` }];
    rs.headers['content-type'] = 'application/sdp';
    rs.content = sdp;
    dialogs.set(callId, { tag, remote: rq.headers.from, cseq: rq.headers.cseq.seq });
    sip.send(rs);
  } else if (rq.method === 'ACK') {
    // nothing to send
  } else if (rq.method === 'BYE') {
    const known = dialogs.delete(callId);
    sip.send(sip.makeResponse(rq, known ? 200 : 481, known ? 'OK' : 'Call/Transaction Does Not Exist'));
  } else {
    sip.send(sip.makeResponse(rq, 200, 'OK'));
  }
});

process.on('message', (m) => {
  if (m && m.type === 'mem') {
    globalThis.gc?.();
    globalThis.gc?.();
    process.send({ type: 'mem', mem: process.memoryUsage(), dialogs: dialogs.size });
  }
});
process.on('SIGTERM', () => process.exit(0));
process.send?.({ type: 'ready' });
