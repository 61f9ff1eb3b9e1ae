import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { startLab } from '../demo/lab.js';
import { runScenario, type Check, type Scenario } from '../demo/scenario.js';
import { ladderText, writeTraceFiles } from '../../trace/index.js';
import type { TransportProtocol } from '../../transport/index.js';
import type { SetStatus } from '../options.js';

const TRANSPORTS = ['udp', 'tcp', 'tls', 'ws'];
const SCENARIOS = ['hold', 'blind', 'attended', 'all'];

function oneOf(list: string[], what: string) {
  return (v: string) => {
    if (!list.includes(v)) throw new InvalidArgumentError(`${what} must be one of ${list.join(', ')}`);
    return v;
  };
}

export function registerDemo(program: Command, setStatus: SetStatus): void {
  program
    .command('demo')
    .description('play the hold and transfer scenario through a proxy on loopback and show it as a ladder diagram')
    .option(
      '--transport <t>',
      `transport for every hop (${TRANSPORTS.join('|')})`,
      oneOf(TRANSPORTS, 'transport'),
      'tls',
    )
    .option('--scenario <s>', `which part to play (${SCENARIOS.join('|')})`, oneOf(SCENARIOS, 'scenario'), 'all')
    .option('--trace <prefix>', 'also write <prefix>.html, <prefix>.pcap and <prefix>.jsonl')
    .option('--width <n>', 'ladder width in columns', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 40) throw new InvalidArgumentError('width must be an integer >= 40');
      return n;
    })
    .option('--no-ladder', 'do not print the ladder diagram')
    .option('-v, --verbose', 'log one line per proxy transaction')
    .action(
      async (opts: {
        transport: string;
        scenario: string;
        trace?: string;
        width?: number;
        ladder: boolean;
        verbose?: boolean;
      }) => {
        const out = (s: string) => process.stdout.write(s + '\n');
        out(
          `Switchboard demo: proxy ss1.example.com + alice, bob, carol over ${opts.transport.toUpperCase()} on 127.0.0.1 (scenario: ${opts.scenario})`,
        );
        let lab;
        try {
          lab = await startLab(
            opts.transport as TransportProtocol,
            opts.verbose ? { verbose: (l) => process.stderr.write(`proxy: ${l}\n`) } : {},
          );
        } catch (e) {
          process.stderr.write(`error: could not start the lab: ${(e as Error).message}\n`);
          setStatus(1);
          return;
        }
        const checks: Check[] = [];
        try {
          await runScenario(lab, opts.scenario as Scenario, (c) => {
            checks.push(c);
            out(`${c.ok ? 'PASS' : 'FAIL'} ${c.step}: ${c.detail}`);
          });
        } catch (e) {
          checks.push({ step: 'scenario', ok: false, detail: (e as Error).message });
          out(`FAIL scenario aborted: ${(e as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 200));
        const entries = lab.recorder.entries;
        if (opts.ladder) {
          out('');
          out(
            ladderText(entries, {
              parties: ['alice', 'proxy', 'bob', 'carol'],
              ...(opts.width ? { width: opts.width } : {}),
            }),
          );
        }
        if (opts.trace) {
          const files = await writeTraceFiles(
            entries,
            opts.trace,
            ['alice', 'proxy', 'bob', 'carol'],
            lab.recorder.media,
          );
          out(`trace written: ${files.join(', ')}`);
        }
        await lab.close();
        const failed = checks.filter((c) => !c.ok).length;
        out(failed ? `${failed} check(s) failed` : `all ${checks.length} checks held`);
        setStatus(failed ? 1 : 0);
      },
    );
}
