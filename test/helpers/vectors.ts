import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The RFC 4475 / RFC 5118 vectors, copied byte for byte from ../shared/vectors into test/vectors. */
export interface VectorEntry {
  file: string;
  section: string;
  title: string;
  kind: string;
  expect: string;
  parser: 'accept' | 'reject' | 'either';
  roles?: Record<string, string>;
  transport?: Record<string, string>;
  sha256: string;
  checks?: Record<string, unknown>;
}

// dist/test/helpers → repo root
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const vectorDir = (set: 'rfc4475' | 'rfc5118') => `${repoRoot}test/vectors/${set}/`;

export function loadManifest(set: 'rfc4475' | 'rfc5118'): VectorEntry[] {
  return JSON.parse(readFileSync(vectorDir(set) + 'manifest.json', 'utf8')) as VectorEntry[];
}

export function loadVector(set: 'rfc4475' | 'rfc5118', file: string, sha256?: string): Buffer {
  const b = readFileSync(vectorDir(set) + file);
  if (sha256) {
    const h = createHash('sha256').update(b).digest('hex');
    if (h !== sha256) throw new Error(`${set}/${file}: sha256 mismatch (file altered?)`);
  }
  return b;
}
