import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  KNOWN_HEADERS,
  SipParseError,
  SipRequest,
  parseMessage,
  type MediaType,
  type SipMessage,
} from '../../message/index.js';
import type { SetStatus } from '../options.js';

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
  const headers: HeaderJson[] = [];
  const seen = new Set<string>();
  for (const h of msg.headers) {
    const entry: HeaderJson = { name: h.name, value: Buffer.from(h.value, 'latin1').toString('utf8') };
    if (!seen.has(h.key) && KNOWN_HEADERS.includes(h.key)) {
      seen.add(h.key);
      // list headers: the combined value of all lines goes on the first line (RFC 3261 §7.3.1);
      // a malformed header the message parses without (liberal receiving) shows its fault here
      const r = msg.parsed(h.key);
      if (r.ok) entry.parsed = r.value;
      else entry.fault = { reason: r.error.reason, offset: r.error.offset };
    }
    headers.push(entry);
  }
  const ct = msg.parsed<MediaType>('Content-Type');
  const out: Record<string, unknown> = {
    ...start,
    headers,
    body: { length: msg.body.length, type: ct.ok && ct.value ? `${ct.value.type}/${ct.value.subtype}` : undefined },
  };
  if (msg.headerFaults.length) out.faults = msg.headerFaults.map((f) => `${f.error.reason} at byte ${f.error.offset}`);
  return out;
}

interface HeaderJson {
  name: string;
  value: string;
  parsed?: unknown;
  /** Why the typed parse failed, for a header the message was accepted without. */
  fault?: { reason: string; offset: number };
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
        // accepted with faults in headers it does not need: said on stderr too, still exit 0
        for (const f of msg.headerFaults)
          process.stderr.write(`warning: ${f.error.reason} at byte ${f.error.offset}\n`);
        setStatus(0);
      } catch (e) {
        if (!(e instanceof SipParseError)) throw e;
        process.stderr.write(`error: ${e.reason} at byte ${e.offset}\n`);
        setStatus(1);
      }
    });
}
