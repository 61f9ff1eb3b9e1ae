/**
 * The Switchboard UAC for `npm run bench -- uac`: a UserAgent in its own process (--expose-gc, IPC).
 * `{type:'hold', n}`: dials n calls to the target (50 every 100 ms) and replies `{type:'up'}` when all
 * are established; `{type:'cycle', n}`: n calls dialled and hung up once answered, 20 at a time,
 * replying with the CPU it took; `{type:'mem'}`: memory after a full collection.
 */
import { UserAgent } from '../src/ua/user-agent.js';

const target = process.argv[2]!;
const ua = new UserAgent({
  aor: 'sip:uac@127.0.0.1',
  listen: [{ protocol: 'udp', host: '127.0.0.1', port: Number(process.argv[3] ?? 0) }],
});
await ua.start();
const gc = (globalThis as { gc?: () => void }).gc;
/** Calls at once in a cycle: npm `sip` loses INVITEs to 408 with 100 at once, so both run 20. */
const IN_FLIGHT = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function hold(n: number): Promise<void> {
  let up = 0;
  let allUp!: () => void;
  const all = new Promise<void>((r) => (allUp = r));
  for (let i = 0; i < n; i++) {
    // a listener an application would have too; a call that fails never comes up (the driver times out)
    ua.dial(target).once('established', () => {
      if (++up === n) allUp();
    });
    if (i % 50 === 49) await sleep(100);
  }
  await all;
}

function cycle(n: number): Promise<void> {
  let next = 0;
  let done = 0;
  return new Promise((resolve) => {
    const one = () => {
      if (next >= n) return;
      next++;
      const call = ua.dial(target);
      call.once('established', () => void call.hangup());
      call.once('terminated', () => {
        if (++done === n) resolve();
        else one();
      });
    };
    for (let i = 0; i < IN_FLIGHT; i++) one();
  });
}

process.on('message', (m: { type?: string; n?: number }) => {
  if (m.type === 'hold') void hold(m.n!).then(() => process.send?.({ type: 'up' }));
  else if (m.type === 'cycle') {
    const c0 = process.cpuUsage();
    void cycle(m.n!).then(() => {
      const c = process.cpuUsage(c0);
      process.send?.({ type: 'cycled', cpuMs: (c.user + c.system) / 1000 });
    });
  } else if (m.type === 'mem') {
    gc?.();
    gc?.();
    process.send?.({ type: 'mem', mem: process.memoryUsage(), held: ua.calls.size });
  }
});
process.on('SIGTERM', () => process.exit(0));
process.send?.({ type: 'ready' });
