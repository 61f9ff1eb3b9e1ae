import type { TraceEntry } from './recorder.js';
import { arrows } from './summary.js';

/**
 * A text ladder diagram: one column per party, one arrow per message, labelled with the method
 * or status (and SDP direction, Refer-To, sipfrag status), times relative to the first message.
 */
export function ladderText(entries: TraceEntry[], opts: { width?: number; parties?: string[] } = {}): string {
  const { parties: found, arrows: list } = arrows([...entries].sort((a, b) => a.time - b.time));
  const parties = opts.parties ? [...opts.parties, ...found.filter((p) => !opts.parties!.includes(p))] : found;
  if (list.length === 0) return '(no messages)\n';
  const width = Math.max(40, opts.width ?? process.stdout.columns ?? 100);
  const timeCol = 8;
  const n = parties.length;
  const span = Math.max(12, Math.floor((width - timeCol - 2) / Math.max(1, n - 1 + 0.5)));
  const colX = parties.map((_, i) => timeCol + 1 + i * span);
  const lineLen = colX[n - 1]! + 1;
  const t0 = list[0]!.time;
  const lines: string[] = [];
  const header = new Array(lineLen + 10).fill(' ');
  parties.forEach((p, i) => {
    const name = p.slice(0, span - 1);
    const start = Math.max(0, Math.min(colX[i]! - Math.floor(name.length / 2), lineLen + 10 - name.length));
    for (let k = 0; k < name.length; k++) header[start + k] = name[k]!;
  });
  lines.push(header.join('').trimEnd());
  const base = () => {
    const row = new Array(lineLen).fill(' ');
    for (const x of colX) row[x] = '|';
    return row;
  };
  for (const a of list) {
    const i = parties.indexOf(a.from);
    const j = parties.indexOf(a.to);
    const row = base();
    const t = ((a.time - t0) / 1000).toFixed(3).padStart(timeCol - 1, ' ');
    for (let k = 0; k < t.length; k++) row[k] = t[k]!;
    if (i === j || i < 0 || j < 0) {
      lines.push(row.join('') + '  ' + a.summary.label);
      continue;
    }
    const left = Math.min(colX[i]!, colX[j]!);
    const right = Math.max(colX[i]!, colX[j]!);
    for (let x = left + 1; x < right; x++) row[x] = '-';
    if (i < j) row[right - 1] = '>';
    else row[left + 1] = '<';
    // the longest label form that fits inside the arrow
    const room = right - left - 4;
    const label = fit([a.summary.label, a.summary.short], room);
    const start = left + 2 + Math.max(0, Math.floor((room - label.length) / 2));
    for (let k = 0; k < label.length; k++) row[start + k] = label[k]!;
    const text = row.join('');
    lines.push(text.slice(0, Math.max(width, lineLen)));
  }
  return lines.join('\n') + '\n';
}

function fit(candidates: string[], room: number): string {
  for (const c of candidates) if (c.length <= room) return c;
  const last = candidates[candidates.length - 1]!;
  return room > 1 ? last.slice(0, room - 1) + '\u2026' : '';
}
