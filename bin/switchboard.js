#!/usr/bin/env node
// Thin launcher: the CLI lives in src/cli (compiled to dist by `npm run build`, run by `npm ci` via `prepare`).
import { main } from '../dist/src/cli/main.js';
main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`error: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
