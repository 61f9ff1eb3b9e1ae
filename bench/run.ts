/** `npm run bench`: every benchmark part in one run, printing ratios measured in the same run. */
import { writeFileSync } from 'node:fs';
import { runParserBench } from './parser.js';

const parser = await runParserBench();
console.log(parser.text);
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ parser }, null, 2));
