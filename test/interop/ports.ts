import * as dgram from 'node:dgram';
import * as net from 'node:net';

/** A port free for both UDP and TCP on 127.0.0.1 right now (for a peer we start). */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const srv = net.createServer();
    const port = await new Promise<number>((r) =>
      srv.listen(0, '127.0.0.1', () => r((srv.address() as net.AddressInfo).port)),
    );
    const sock = dgram.createSocket('udp4');
    const ok = await new Promise<boolean>((r) => {
      sock.once('error', () => r(false));
      sock.bind(port, '127.0.0.1', () => r(true));
    });
    await new Promise((r) => srv.close(r));
    await new Promise<void>((r) => {
      try {
        sock.close(() => r());
      } catch {
        r();
      }
    });
    if (ok) return port;
  }
  throw new Error('no free port');
}
