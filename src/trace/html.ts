import type { TraceEntry } from './recorder.js';
import { arrows } from './summary.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

/** A self-contained HTML ladder: SVG arrows coloured by Call-ID; click an arrow to see the message. */
export function ladderHtml(entries: TraceEntry[], order?: string[]): string {
  const { parties: found, arrows: list } = arrows([...entries].sort((a, b) => a.time - b.time));
  const parties = order
    ? [...order.filter((p) => found.includes(p)), ...found.filter((p) => !order.includes(p))]
    : found;
  const colW = 220;
  const rowH = 30;
  const top = 50;
  const width = Math.max(400, parties.length * colW);
  const height = top + list.length * rowH + 30;
  const x = (p: string) => colW / 2 + parties.indexOf(p) * colW;
  const calls = [...new Set(list.map((a) => a.summary.callId))];
  const color = (id: string) => COLORS[calls.indexOf(id) % COLORS.length]!;
  const t0 = list[0]?.time ?? 0;
  let svg = '';
  parties.forEach((p) => {
    svg += `<text x="${x(p)}" y="20" text-anchor="middle" class="party">${esc(p)}</text><line x1="${x(p)}" y1="30" x2="${x(p)}" y2="${height - 10}" class="life"/>`;
  });
  list.forEach((a, i) => {
    const y = top + i * rowH;
    const x1 = x(a.from);
    const x2 = x(a.to);
    const c = color(a.summary.callId);
    const dir = x2 >= x1 ? 1 : -1;
    svg += `<g class="arrow" data-index="${i}" data-method="${esc(a.summary.method)}" data-status="${a.summary.status ?? ''}" data-call="${esc(a.summary.callId)}">`;
    svg += `<line x1="${x1}" y1="${y}" x2="${x2 - dir * 6}" y2="${y}" stroke="${c}" stroke-width="2"/>`;
    svg += `<polygon points="${x2},${y} ${x2 - dir * 8},${y - 4} ${x2 - dir * 8},${y + 4}" fill="${c}"/>`;
    svg += `<text x="${(x1 + x2) / 2}" y="${y - 5}" text-anchor="middle" fill="${c}">${esc(a.summary.label.slice(0, 48))}</text>`;
    svg += `<rect x="${Math.min(x1, x2)}" y="${y - 18}" width="${Math.abs(x2 - x1) || 10}" height="22" fill="transparent"/></g>`;
    svg += `<text x="4" y="${y + 4}" class="time">${((a.time - t0) / 1000).toFixed(3)}</text>`;
  });
  // SRTP master keys (RFC 4568 a=crypto inline:) are secrets: the page shows them redacted
  const messages = list.map((a) =>
    esc(a.bytes.toString('utf8').replace(/inline:[A-Za-z0-9+/=]+/g, 'inline:<redacted>')),
  );
  const legend = calls.map((c) => `<span style="color:${color(c)}">&#9632; ${esc(c)}</span>`).join(' ');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Switchboard trace</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;display:flex;height:100vh}
#ladder{flex:2;overflow:auto;padding:8px}
#detail{flex:1;border-left:1px solid #ccc;padding:8px;overflow:auto;background:#fafafa}
pre{white-space:pre-wrap;font-size:12px}
.party{font-weight:bold;font-size:14px}.life{stroke:#999;stroke-dasharray:4 3}
.arrow{cursor:pointer;font-size:12px}.arrow:hover text{font-weight:bold}.time{font-size:10px;fill:#666}
.legend{font-size:12px;margin-bottom:6px}
</style></head><body>
<div id="ladder"><div class="legend">Calls: ${legend}</div>
<svg xmlns="http://www.w3.org/2000/svg" width="${width + 40}" height="${height}">${svg}</svg></div>
<div id="detail"><p>Click an arrow to see the message.</p><pre id="message"></pre></div>
<script>
const messages = ${JSON.stringify(messages)};
for (const g of document.querySelectorAll('.arrow')) {
  g.addEventListener('click', () => {
    const pre = document.getElementById('message');
    pre.innerHTML = messages[Number(g.dataset.index)];
    for (const o of document.querySelectorAll('.arrow.selected')) o.classList.remove('selected');
    g.classList.add('selected');
  });
}
</script></body></html>
`;
}
