/** `npm run bench`: every benchmark part in one run, printing ratios measured in the same run. */
import { writeFileSync } from 'node:fs';
import { runParserBench } from './parser.js';
import { runCallsBench } from './calls.js';

const parser = await runParserBench();
console.log(parser.text);
console.log('');
const calls = await runCallsBench();
if (calls) console.log(calls.text);
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ parser, calls }, null, 2));
process.exit(0);
