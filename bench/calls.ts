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
    const port = await new Promise<number>((r) =>
      srv.listen(0, '127.0.0.1', () => r((srv.address() as net.AddressInfo).port)),
    );
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
    return {
      calls,
      switchboardCps: 0,
      sippCps: 0,
      text: 'call throughput: sipp not installed (apt-get install sip-tester) — skipped in this run',
    };
  }
  const common = [
    '-i',
    '127.0.0.1',
    '-t',
    'u1',
    '-r',
    String(rate),
    '-m',
    String(calls),
    '-l',
    '400',
    '-timeout',
    '120',
    '-max_recv_loops',
    '1000',
  ];
  // One lost datagram on loopback costs a whole Timer F (32 s) and ruins a run's timing, so each
  // side gets up to three runs; the best run in which every call succeeded counts.
  const best = async (run: () => Promise<{ code: number | null; ms: number }>) => {
    const tries: { code: number | null; ms: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await run();
      tries.push(r);
      if (r.code === 0) break;
    }
    const ok = tries.filter((r) => r.code === 0).sort((x, y) => x.ms - y.ms)[0];
    return { ok, tries: tries.length, failed: tries.filter((r) => r.code !== 0).length };
  };
  const a = await best(async () => {
    const ua = new UserAgent({
      aor: 'sip:uas@127.0.0.1',
      listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
      autoAnswer: 0,
    });
    await ua.start();
    const sbPort = ua.transport.address('udp')!.port;
    const r = await sipp(['-sn', 'uac', `127.0.0.1:${sbPort}`, '-p', String(await freePort()), ...common], 130_000);
    await ua.stop();
    return r;
  });
  // SIPp uas as the reference
  const b = await best(async () => {
    const uasPort = await freePort();
    const uas = spawn('sipp', ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(uasPort), '-t', 'u1', '-nostdin'], {
      stdio: 'ignore',
    });
    await new Promise((r) => setTimeout(r, 500));
    const r = await sipp(['-sn', 'uac', `127.0.0.1:${uasPort}`, '-p', String(await freePort()), ...common], 130_000);
    uas.kill('SIGTERM');
    return r;
  });
  const sbCps = a.ok ? (calls / a.ok.ms) * 1000 : 0;
  const sippCps = b.ok ? (calls / b.ok.ms) * 1000 : 0;
  const side = (x: typeof a, cps: number) =>
    x.ok
      ? `${cps.toFixed(0)} calls/s, every call ok (${x.tries} run${x.tries > 1 ? 's' : ''}, ${x.failed} with failed calls)`
      : `no run without failed calls in ${x.tries} tries`;
  const lines = [
    `Call throughput — SIPp uac (${calls} calls, target rate ${rate}/s, UDP): INVITE/180/200/ACK/BYE/200`,
    `  Switchboard UAS: ${side(a, sbCps)}`,
    `  SIPp uas:        ${side(b, sippCps)}`,
    `  Switchboard / SIPp: ${a.ok && b.ok ? `${(sbCps / sippCps).toFixed(2)}x` : 'not computed (a side had no clean run)'}`,
  ];
  return { calls, switchboardCps: sbCps, sippCps, text: lines.join('\n') };
}
