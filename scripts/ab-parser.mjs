#!/usr/bin/env node
// Paired A/B of the message parser at two git revisions, in one process (for perf work on
// src/message; `npm run bench` compares against the peers instead).
//
//   node scripts/ab-parser.mjs REV_A [REV_B] [full|proxy|framing] [rounds]
//
// REV_B defaults to the working tree. Each revision is built into a temporary directory (git
// worktree + tsc). Rounds alternate which side runs first (a fixed order favoured the second side
// by 1-2%), each side gets 40 ms per round over the bench corpus, and the median of the per-round
// B/A time ratios is printed with its interquartile range. On this shared 2-core machine an A/A run
// gives 1.00 with an IQR of about ±2%: smaller differences are noise.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const modes = ['full', 'proxy', 'framing'];
const mode = args.find((a) => modes.includes(a)) ?? 'full';
// rounds: a number of at most 4 digits (an abbreviated commit hash has more, even an all-digit one)
const isRounds = (a) => /^\d{1,4}$/.test(a);
const rounds = Number(args.find(isRounds) ?? 40);
const revs = args.filter((a) => !modes.includes(a) && !isRounds(a));
if (revs.length < 1 || revs.length > 2) {
  process.stderr.write('usage: node scripts/ab-parser.mjs REV_A [REV_B] [full|proxy|framing] [rounds]\n');
  process.exit(2);
}

const temps = [];
/** Compiled output of `rev` (undefined: the working tree) in a temporary directory. */
function build(rev) {
  const out = mkdtempSync(join(tmpdir(), 'sb-ab-'));
  temps.push(out);
  let src = root;
  if (rev !== undefined) {
    src = join(out, 'src-tree');
    execFileSync('git', ['-C', root, 'worktree', 'add', '--detach', '-q', src, rev]);
    symlinkSync(join(root, 'node_modules'), join(src, 'node_modules'));
  }
  execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(src, 'tsconfig.json'), '--outDir', join(out, 'dist')], {
    stdio: 'inherit',
  });
  if (rev !== undefined) execFileSync('git', ['-C', root, 'worktree', 'remove', '--force', src]);
  symlinkSync(join(root, 'node_modules'), join(out, 'dist', 'node_modules'));
  // the bench corpus reads the vectors from <out>/test/vectors (two folders above dist/bench)
  symlinkSync(join(root, 'test'), join(out, 'test'));
  return join(out, 'dist');
}

try {
  const [distA, distB] = [build(revs[0]), build(revs[1])];
  const A = await import(pathToFileURL(join(distA, 'src/message/index.js')).href);
  const B = await import(pathToFileURL(join(distB, 'src/message/index.js')).href);
  const { realistic, vectors } = await import(pathToFileURL(join(distB, 'bench/corpus.js')).href);
  const corpus = [...realistic(), ...vectors()]
    .map((m) => m.bytes)
    .filter((b) => {
      try {
        A.parseMessage(b);
        B.parseMessage(b);
        return true;
      } catch {
        return false;
      }
    });
  const body = {
    full: 'const m = P(b); if (m.isRequest) m.uri; m.via, m.from, m.to, m.callId, m.cseq, m.maxForwards, m.contact, m.route, m.recordRoute, m.contentType, m.contentLength, m.expires, m.allow, m.supported, m.require, m.event, m.subscriptionState, m.referTo, m.referredBy, m.replaces, m.authorization, m.wwwAuthenticate, m.proxyAuthenticate, m.reasons, m.retryAfter, m.warning;',
    proxy:
      'const m = P(b, { lazy: true }); if (m.isRequest) m.uri; m.topVia; m.route; m.maxForwards; m.callId; m.cseq;',
    framing: 'P(b, { lazy: true });',
  }[mode];
  // one function per side, so that neither side's type feedback reaches the other's
  const make = (P) =>
    new Function('P', 'corpus', `return function () { for (const b of corpus) { ${body} } }`)(P, corpus);
  const fA = make(A.parseMessage);
  const fB = make(B.parseMessage);
  const run = (f) => {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < 40) {
      f();
      n += corpus.length;
    }
    return ((performance.now() - t0) / n) * 1e6;
  };
  for (let i = 0; i < 10; i++) (run(fA), run(fB));
  const ratios = [];
  const ta = [];
  const tb = [];
  for (let i = 0; i < rounds; i++) {
    const [a, b] =
      i % 2
        ? [run(fA), run(fB)]
        : (() => {
            const b = run(fB);
            return [run(fA), b];
          })();
    ratios.push(b / a);
    ta.push(a);
    tb.push(b);
  }
  const q = (xs, f) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(xs.length * f))];
  console.log(
    `${mode}: A ${q(ta, 0.5).toFixed(0)} ns/msg, B ${q(tb, 0.5).toFixed(0)} ns/msg, B/A ${q(ratios, 0.5).toFixed(3)} (IQR ${q(ratios, 0.25).toFixed(3)}-${q(ratios, 0.75).toFixed(3)}), ${rounds} rounds, ${corpus.length} messages`,
  );
} finally {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
}
