/**
 * `npm run bench`: every benchmark part in one run, printing ratios measured in the same run.
 * `npm run bench -- uas proxy` runs only the named parts (parser, uas, uac, proxy, media).
 */
import { writeFileSync } from 'node:fs';
import { runParserBench } from './parser.js';
import { runUasBench } from './uas.js';
import { runUacBench } from './uac.js';
import { runProxyBench } from './proxy.js';
import { runMediaBench } from './media.js';
import { haveTool } from './lib.js';

const all = ['parser', 'uas', 'uac', 'proxy', 'media'];
const parts = process.argv.slice(2).length ? process.argv.slice(2) : all;
const unknown = parts.filter((p) => !all.includes(p));
if (unknown.length) {
  console.error(`unknown bench part(s): ${unknown.join(', ')}; known: ${all.join(', ')}`);
  process.exit(2);
}
for (const tool of ['sipp', 'kamailio']) {
  if (!haveTool(tool) && parts.some((p) => p !== 'parser' && p !== 'media')) {
    console.error(`${tool} is needed (apt-get install sip-tester kamailio)`);
    process.exit(2);
  }
}
const out: Record<string, unknown> = {};
if (parts.includes('parser')) {
  const parser = await runParserBench();
  console.log(parser.text + '\n');
  out.parser = parser;
}
if (parts.includes('uas')) {
  const uas = await runUasBench();
  console.log(uas.text + '\n');
  out.uas = uas.rows;
}
if (parts.includes('uac')) {
  const uac = await runUacBench();
  console.log(uac.text + '\n');
  out.uac = uac.rows;
}
if (parts.includes('proxy')) {
  const proxy = await runProxyBench();
  console.log(proxy.text + '\n');
  out.proxy = proxy.rows;
}
if (parts.includes('media')) {
  const media = await runMediaBench();
  console.log(media.text + '\n');
  out.media = { rows: media.rows, maxLegs: media.maxLegs };
}
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(out, null, 2));
process.exit(0);
