import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { ladderHtml, ladderText, readTrace } from '../../trace/index.js';
import type { SetStatus } from '../options.js';

export function registerTrace(program: Command, setStatus: SetStatus): void {
  program
    .command('trace')
    .description('print the ladder diagram of a recorded run (.jsonl or .pcap)')
    .argument('<file>', 'a trace written by --trace (prefix.jsonl or prefix.pcap)')
    .option('--width <n>', 'ladder width in columns', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 40) throw new InvalidArgumentError('width must be an integer >= 40');
      return n;
    })
    .option('--html <out>', 'also write the HTML ladder to this file')
    .action(async (file: string, opts: { width?: number; html?: string }) => {
      let entries;
      try {
        entries = await readTrace(file);
      } catch (e) {
        process.stderr.write(
          `error: cannot read trace ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`,
        );
        setStatus(1);
        return;
      }
      process.stdout.write(ladderText(entries, opts.width ? { width: opts.width } : {}));
      if (opts.html) await writeFile(opts.html, ladderHtml(entries));
      setStatus(0);
    });
}
