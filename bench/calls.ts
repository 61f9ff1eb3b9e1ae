/**
 * Call throughput: SIPp's uac drives calls at a Switchboard UAS and, in the same run, at SIPp's own
 * uas (the reference). Each side is measured over the same number of calls; the ratio is printed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { UserAgent } from '../src/ua/user-agent.js';
import * as net from 'node:net';
import * as dgram from 'node:dgram';

async function freePort(): Promise<number> {
  for (;;) {
    const srv = net.createServer();
    const port = await new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as net.AddressInfo).port)));
    await new Promise((r) => srv.close(r));
    const s = dgram.createSocket('udp4');
    const ok = await new Promise<boolean>((r) => {
      s.once('error', () => r(false));
      s.bind(port, '127.0.0.1', () => r(true));
    });
    s.close();
    if (ok) return port;
  }
}

function sipp(args: string[], timeoutMs: number): Promise<{ code: number | null; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const p = spawn('sipp', [...args, '-nostdin', '-trace_err', '-error_file', '/dev/null'], { stdio: 'ignore' });
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, ms: performance.now() - t0 });
    });
  });
}

export interface CallsReport {
  calls: number;
  switchboardCps: number;
  sippCps: number;
  text: string;
}

export async function runCallsBench(calls = 5000, rate = 10000): Promise<CallsReport | undefined> {
  if (spawnSync('sh', ['-c', 'command -v sipp']).status !== 0) {
    return { calls, switchboardCps: 0, sippCps: 0, text: 'call throughput: sipp not installed (apt-get install sip-tester) — skipped in this run' };
  }
  const common = ['-i', '127.0.0.1', '-t', 'u1', '-r', String(rate), '-m', String(calls), '-l', '400', '-timeout', '120', '-max_recv_loops', '1000'];
  // Switchboard UAS
  const ua = new UserAgent({ aor: 'sip:uas@127.0.0.1', listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], autoAnswer: 0 });
  await ua.start();
  const sbPort = ua.transport.address('udp')!.port;
  const a = await sipp(['-sn', 'uac', `127.0.0.1:${sbPort}`, '-p', String(await freePort()), ...common], 130_000);
  await ua.stop();
  // SIPp uas as the reference
  const uasPort = await freePort();
  const uas = spawn('sipp', ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(uasPort), '-t', 'u1', '-nostdin'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  const b = await sipp(['-sn', 'uac', `127.0.0.1:${uasPort}`, '-p', String(await freePort()), ...common], 130_000);
  uas.kill('SIGTERM');
  const sbCps = (calls / a.ms) * 1000;
  const sippCps = (calls / b.ms) * 1000;
  const lines = [
    `Call throughput — SIPp uac (${calls} calls, target rate ${rate}/s, UDP): INVITE/180/200/ACK/BYE/200`,
    `  Switchboard UAS: ${sbCps.toFixed(0)} calls/s (sipp exit ${a.code}: ${a.code === 0 ? 'all calls ok' : 'some calls failed'})`,
    `  SIPp uas:        ${sippCps.toFixed(0)} calls/s (sipp exit ${b.code})`,
    `  Switchboard / SIPp: ${(sbCps / sippCps).toFixed(2)}x`,
  ];
  return { calls, switchboardCps: sbCps, sippCps, text: lines.join('\n') };
}
