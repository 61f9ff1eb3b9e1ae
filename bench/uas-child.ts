/**
 * The Switchboard UAS for `npm run bench`: a UserAgent that answers every call at once, in its own
 * process (started with --expose-gc and IPC). Answers {type:'mem'} with its memory after a full
 * collection and the number of calls it holds.
 */
import { UserAgent } from '../src/ua/user-agent.js';

const port = Number(process.argv[2]);
const ua = new UserAgent({
  aor: 'sip:uas@127.0.0.1',
  listen: [{ protocol: 'udp', host: '127.0.0.1', port }],
  autoAnswer: 0,
});
await ua.start();

const gc = (globalThis as { gc?: () => void }).gc;
process.on('message', (m: { type?: string }) => {
  if (m.type !== 'mem') return;
  gc?.();
  gc?.();
  process.send?.({ type: 'mem', mem: process.memoryUsage(), dialogs: ua.calls.size });
});
process.on('SIGTERM', () => {
  void ua.stop().finally(() => process.exit(0));
});
process.send?.({ type: 'ready' });
