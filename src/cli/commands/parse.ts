import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { SipParseError, parseMessage, type SipMessage } from '../../message/index.js';
import { SipRequest } from '../../message/index.js';
import type { SetStatus } from '../main.js';

async function readInput(file: string): Promise<Buffer> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }
  return readFile(file);
}

/** JSON view of a message: start line, every header (typed where the stack knows it), body summary. */
export function messageToJson(msg: SipMessage): unknown {
  const start =
    msg instanceof SipRequest
      ? { type: 'request', method: msg.method, uri: msg.uri.toJSON(), version: msg.version }
      : {
          type: 'response',
          status: (msg as unknown as { status: number }).status,
          reason: (msg as unknown as { reason: string }).reason,
          version: (msg as unknown as { version: string }).version,
        };
  const headers: { name: string; value: string; parsed?: unknown }[] = [];
  const seen = new Set<string>();
  for (const h of msg.headers) {
    const entry: { name: string; value: string; parsed?: unknown } = {
      name: h.name,
      value: Buffer.from(h.value, 'latin1').toString('utf8'),
    };
    if (!seen.has(h.key)) {
      seen.add(h.key);
      try {
        const parsed = msg.typed(h.key);
        // list headers: the combined value of all lines goes on the first line (RFC 3261 §7.3.1)
        entry.parsed = parsed;
      } catch (e) {
        if (!(e instanceof Error) || !/no typed parser/.test(e.message)) throw e;
      }
    }
    headers.push(entry);
  }
  const ct = msg.contentType;
  return {
    ...start,
    headers,
    body: { length: msg.body.length, type: ct ? `${ct.type}/${ct.subtype}` : undefined },
  };
}

export function registerParse(program: Command, setStatus: SetStatus): void {
  program
    .command('parse')
    .description('parse a SIP message (file or - for stdin) and print it as JSON')
    .argument('[file]', 'message file, or - for standard input', '-')
    .option('--stream', 'treat the input as stream-framed (Content-Length mandatory)')
    .action(async (file: string, opts: { stream?: boolean }) => {
      let bytes: Buffer;
      try {
        bytes = await readInput(file);
      } catch (e) {
        process.stderr.write(
          `error: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`,
        );
        setStatus(2);
        return;
      }
      try {
        const msg = parseMessage(bytes, { mode: opts.stream ? 'stream' : 'datagram' });
        process.stdout.write(JSON.stringify(messageToJson(msg), null, 2) + '\n');
        setStatus(0);
      } catch (e) {
        if (!(e instanceof SipParseError)) throw e;
        process.stderr.write(`error: ${e.reason} at byte ${e.offset}\n`);
        setStatus(1);
      }
    });
}
