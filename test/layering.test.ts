/**
 * Layering of src (issue 13 §7): folders are layers, message → transport → transaction → dialog →
 * call → ua / proxy → cli, with sdp, media, trace, auth, registrar and util beside. Reads every
 * src/**\/*.ts as it is on disk (files added later are covered) and fails on (a) any import cycle
 * between files, type-only imports included, and (b) an import that the table below does not allow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// dist/test/layering.test.js → the repository's src
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/**
 * What each folder may import (besides itself). Layers import only layers below them and the
 * modules beside; modules beside import nothing above what they serve (sdp nothing from transport
 * up; media nothing from call, ua, proxy or cli). `index` is src/index.ts, the package's barrel.
 */
/** Every folder below the package's entry points (src/index.ts and the CLI), lowest first. */
const EVERY_LAYER = [
  'util',
  'message',
  'sdp',
  'auth',
  'transport',
  'trace',
  'transaction',
  'registrar',
  'media',
  'dialog',
  'call',
  'ua',
  'proxy',
];

const ALLOWED: Record<string, readonly string[]> = {
  util: [],
  message: ['util'],
  sdp: ['util', 'message'],
  auth: ['util', 'message'],
  transport: ['util', 'message'],
  trace: ['util', 'message', 'transport', 'sdp'],
  transaction: ['util', 'message', 'transport'],
  registrar: ['util', 'message', 'auth'],
  media: ['util', 'message', 'sdp', 'transport', 'trace'],
  dialog: ['util', 'message', 'transport', 'transaction', 'sdp', 'auth'],
  call: ['util', 'message', 'transport', 'transaction', 'dialog', 'sdp', 'media', 'auth', 'trace'],
  ua: ['util', 'message', 'transport', 'transaction', 'dialog', 'call', 'sdp', 'media', 'auth', 'trace'],
  proxy: ['util', 'message', 'transport', 'transaction', 'sdp', 'auth', 'registrar', 'trace'],
  index: EVERY_LAYER,
  // the CLI sits on top of everything, as the package's entry does
  cli: EVERY_LAYER,
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The folder (layer) of a file: its first path segment under src, `index` for src/index.ts. */
function layerOf(file: string): string {
  const rel = relative(SRC, file).split(/[\\/]/);
  return rel.length === 1 ? rel[0]!.replace(/\.ts$/, '') : rel[0]!;
}

/** Relative imports of a file (static, type-only, re-exports and dynamic), as src files. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((s) => s.startsWith('.'))
    .map((s) => resolve(dirname(file), s).replace(/\.js$/, '.ts'));
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const rel = (f: string) => relative(SRC, f);

test('the layering table itself has no cycle, and names every folder of src', () => {
  const folders = [...new Set(files.map(layerOf))];
  for (const f of folders) assert.ok(ALLOWED[f], `src/${f} is not in the layering table: decide where it sits`);
  // depth-first over the table: a grey folder met again is a cycle
  const state = new Map<string, 'grey' | 'black'>();
  const visit = (f: string, path: string[]): void => {
    if (state.get(f) === 'black') return;
    assert.notEqual(state.get(f), 'grey', `the table allows a cycle: ${[...path, f].join(' → ')}`);
    state.set(f, 'grey');
    for (const g of ALLOWED[f] ?? []) visit(g, [...path, f]);
    state.set(f, 'black');
  };
  for (const f of Object.keys(ALLOWED)) visit(f, []);
});

test('no file imports a folder its layer may not use (a lower layer never imports a higher one)', () => {
  assert.ok(files.length > 50, `found only ${files.length} files under ${SRC}`);
  const bad: string[] = [];
  for (const [file, deps] of graph) {
    const from = layerOf(file);
    for (const dep of deps) {
      const to = layerOf(dep);
      if (to !== from && !(ALLOWED[from] ?? []).includes(to))
        bad.push(`${rel(file)} imports ${rel(dep)} (${from} → ${to})`);
    }
  }
  assert.deepEqual(bad, []);
});

test('no import cycle between files (type-only imports count)', () => {
  // Tarjan's strongly connected components: any component of more than one file is a cycle
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue; // a missing file is the compiler's business
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(rel(w));
      } while (w !== v);
      const selfLoop = (graph.get(v) ?? []).includes(v);
      if (comp.length > 1 || selfLoop) cycles.push(comp.sort());
    }
  };
  for (const f of files) if (!idx.has(f)) strong(f);
  assert.deepEqual(cycles, [], `import cycles:\n${cycles.map((c) => '  ' + c.join(' ↔ ')).join('\n')}`);
});

test('the checker sees what it should: the table refuses upward imports, and a cycle is found', () => {
  // guards against a parser that silently finds no imports
  const edges = [...graph.values()].reduce((n, d) => n + d.length, 0);
  assert.ok(edges > 100, `only ${edges} imports found`);
  assert.ok(!ALLOWED.message!.includes('transport'));
  assert.ok(
    !ALLOWED.sdp!.some((l) => ['transport', 'transaction', 'dialog', 'call', 'ua', 'proxy', 'cli'].includes(l)),
  );
  assert.ok(!ALLOWED.media!.some((l) => ['call', 'ua', 'proxy', 'cli'].includes(l)));
  assert.ok(!ALLOWED.ua!.includes('proxy') && !ALLOWED.proxy!.includes('ua'), 'ua and proxy sit side by side');
  const parsed = ts.preProcessFile(
    "import type { A } from './a.js';\nexport { B } from '../b.js';\nconst c = await import('./c.js');\n",
    true,
    true,
  );
  assert.deepEqual(
    parsed.importedFiles.map((f) => f.fileName),
    ['./a.js', '../b.js', './c.js'],
  );
});
