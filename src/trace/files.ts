import { readFile, writeFile } from 'node:fs/promises';
import type { TraceEntry } from './recorder.js';
import { fromPcap, toPcap } from './pcap.js';
import { ladderHtml } from './html.js';

/** One JSON object per message; bytes as base64 (SIP may hold any octet). */
export function toJsonLines(entries: TraceEntry[]): string {
  return entries.map((e) => JSON.stringify({ ...e, bytes: e.bytes.toString('base64') })).join('\n') + '\n';
}

export function fromJsonLines(text: string): TraceEntry[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`line ${i + 1}: not JSON`);
      }
      if (typeof o.bytes !== 'string' || typeof o.element !== 'string')
        throw new Error(`line ${i + 1}: not a trace entry`);
      return { ...(o as unknown as TraceEntry), bytes: Buffer.from(o.bytes as string, 'base64') };
    });
}

/** Read a .jsonl or .pcap trace. */
export async function readTrace(path: string): Promise<TraceEntry[]> {
  const buf = await readFile(path);
  if (
    path.endsWith('.pcap') ||
    (buf.length >= 4 && (buf.readUInt32LE(0) === 0xa1b2c3d4 || buf.readUInt32BE(0) === 0xa1b2c3d4))
  )
    return fromPcap(buf);
  return fromJsonLines(buf.toString('utf8'));
}

/** `<prefix>.html`, `<prefix>.pcap` (SIP and, when given, the media datagrams), `<prefix>.jsonl`. */
export async function writeTraceFiles(
  entries: TraceEntry[],
  prefix: string,
  parties?: string[],
  media: TraceEntry[] = [],
): Promise<string[]> {
  const files = [`${prefix}.html`, `${prefix}.pcap`, `${prefix}.jsonl`];
  await writeFile(files[0]!, ladderHtml(entries, parties));
  await writeFile(files[1]!, toPcap(media.length ? [...entries, ...media].sort((a, b) => a.time - b.time) : entries));
  await writeFile(files[2]!, toJsonLines(entries));
  return files;
}
