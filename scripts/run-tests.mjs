#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with Node's built-in test runner.
// Node 20's `--test` takes no globs, so the file list is built here. Optional filter: a substring of the path.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../dist/test/', import.meta.url).pathname;
const distRoot = new URL('../dist/', import.meta.url).pathname;
const srcRoot = new URL('../', import.meta.url).pathname;
const filter = process.argv[2] ?? '';
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    // only tests whose TypeScript source still exists (dist may hold stale output of deleted tests)
    else if (
      name.endsWith('.test.js') &&
      p.includes(filter) &&
      existsSync(p.replace(distRoot, srcRoot).replace(/\.js$/, '.ts'))
    )
      files.push(p);
  }
})(root);
if (files.length === 0) {
  console.error(`no test files found under ${root}${filter ? ` matching "${filter}"` : ''}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
