/**
 * The impairment of test/helpers/lossy-net.ts, run inside the middle namespace. This kernel has no
 * netem qdisc (and no gact action), so packets are impaired in user space: every IP packet routed
 * through the middle namespace goes into a TUN device; socat hands each one over as one UDP datagram
 * to this program, which drops it with probability `loss`, or returns it after `delay ± jitter` ms
 * (uniform, so packets can overtake each other, as with netem's jitter). socat writes it back into
 * the TUN device and the kernel routes it on to its destination.
 *
 *   node impair-relay.js <port> <loss 0..1> <delayMs> <jitterMs> <seed>
 *
 * Prints one JSON line `{"ready":true,...}` once bound; a `stats` line on stdin is answered with
 * `{"packets":N,"dropped":N,"delivered":N}`. Random choices come from a seeded generator, so a
 * failing run can be replayed with the seed it printed (timing still varies).
 */
import * as dgram from 'node:dgram';
import { createInterface } from 'node:readline';
import { seededRandom } from '../../src/transport/lossy.js';

const [port, loss, delayMs, jitterMs, seed] = process.argv.slice(2).map(Number) as [
  number,
  number,
  number,
  number,
  number,
];
if (![port, loss, delayMs, jitterMs, seed].every(Number.isFinite) || loss < 0 || loss > 1 || jitterMs > delayMs) {
  process.stderr.write('usage: impair-relay <port> <loss 0..1> <delayMs> <jitterMs <= delayMs> <seed>\n');
  process.exit(2);
}

const random = seededRandom(seed);
const counts = { packets: 0, dropped: 0, delivered: 0 };
const socket = dgram.createSocket('udp4');
socket.on('message', (packet, from) => {
  counts.packets++;
  if (random() < loss) {
    counts.dropped++;
    return;
  }
  const wait = delayMs + (random() * 2 - 1) * jitterMs;
  setTimeout(() => {
    counts.delivered++;
    socket.send(packet, from.port, from.address);
  }, wait);
});
socket.bind(port, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ ready: true, port, loss, delayMs, jitterMs, seed }) + '\n');
});
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (line.trim() === 'stats') process.stdout.write(JSON.stringify(counts) + '\n');
});
rl.on('close', () => socket.close());
