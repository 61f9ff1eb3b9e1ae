/**
 * Mutations of the shared vectors (RFC 4475, RFC 5118) for fuzzing running elements (issue 16
 * item 3): bit flips, truncation, huge and duplicated headers, invalid UTF-8, Content-Length lies.
 * Everything comes from a seeded PRNG, so a failing run replays exactly.
 */
import { seededRandom } from '../../src/transport/index.js';
import { loadManifest, loadVector } from './vectors.js';

export type Mutation = 'flip' | 'truncate' | 'huge' | 'duplicate' | 'utf8' | 'length' | 'splice' | 'none';
export const MUTATIONS: Mutation[] = ['flip', 'truncate', 'huge', 'duplicate', 'utf8', 'length', 'splice', 'none'];

/** Every vector of both sets, as bytes. */
export function allVectors(): Buffer[] {
  return (['rfc4475', 'rfc5118'] as const).flatMap((set) =>
    loadManifest(set).map((v) => loadVector(set, v.file, v.sha256)),
  );
}

const INVALID_UTF8 = [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0x80]];
const LENGTH_LIES = ['0', '1', '99999999999', '-1', 'abc', '4294967297', '1e3', ' 12 ', '0x10', ''];

export class Mutator {
  readonly next: () => number;
  constructor(
    seed: number,
    private readonly vectors: Buffer[] = allVectors(),
  ) {
    this.next = seededRandom(seed);
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  /** One mutated message and the mutation applied. */
  message(): { bytes: Buffer; mutation: Mutation } {
    const base = this.pick(this.vectors);
    const mutation = this.pick(MUTATIONS);
    return { bytes: this.apply(mutation, base), mutation };
  }

  apply(m: Mutation, base: Buffer): Buffer {
    const b = Buffer.from(base);
    switch (m) {
      case 'flip': {
        for (let i = 1 + this.int(8); i > 0; i--) {
          const at = this.int(b.length);
          b[at] = b[at]! ^ (1 << this.int(8));
        }
        return b;
      }
      case 'truncate':
        return b.subarray(0, this.int(b.length));
      case 'huge': {
        // a header far over the 32 KB header limit, or just under it
        const size = this.pick([1000, 31_000, 33_000, 70_000]);
        return this.insertHeader(b, `X-Huge: ${'a'.repeat(size)}`);
      }
      case 'duplicate': {
        const lines = this.headerLines(b);
        if (lines.length === 0) return b;
        const line = this.pick(lines);
        const times = this.pick([2, 10, 300, 1000]);
        return this.insertHeader(b, Array.from({ length: times }, () => line).join('\r\n'));
      }
      case 'utf8': {
        const bad = Buffer.from(this.pick(INVALID_UTF8));
        const at = this.int(b.length);
        return Buffer.concat([b.subarray(0, at), bad, b.subarray(at)]);
      }
      case 'length': {
        const text = b.toString('latin1');
        const lie = this.pick(LENGTH_LIES);
        const replaced = text.replace(/\r\n(Content-Length|l)[ \t]*:[^\r\n]*/i, `\r\nContent-Length: ${lie}`);
        // a second, different Content-Length when there was none to replace
        return Buffer.from(
          replaced === text ? text.replace('\r\n', `\r\nContent-Length: ${lie}\r\n`) : replaced,
          'latin1',
        );
      }
      case 'splice': {
        const other = this.pick(this.vectors);
        return Buffer.concat([b.subarray(0, this.int(b.length)), other.subarray(this.int(other.length))]);
      }
      case 'none':
        return b;
    }
  }

  private headerLines(b: Buffer): string[] {
    const text = b.toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    return (end < 0 ? text : text.slice(0, end)).split('\r\n').slice(1);
  }

  private insertHeader(b: Buffer, header: string): Buffer {
    const at = b.indexOf('\r\n');
    if (at < 0) return Buffer.concat([b, Buffer.from(`\r\n${header}`, 'latin1')]);
    return Buffer.concat([b.subarray(0, at + 2), Buffer.from(`${header}\r\n`, 'latin1'), b.subarray(at + 2)]);
  }

  /** Cut a byte stream into 1..n random segments (half-written streams arrive piecemeal). */
  segments(b: Buffer, n = 6): Buffer[] {
    const cuts = Array.from({ length: this.int(n) }, () => this.int(b.length)).sort((x, y) => x - y);
    const out: Buffer[] = [];
    let from = 0;
    for (const c of [...cuts, b.length]) {
      if (c > from) out.push(b.subarray(from, c));
      from = Math.max(from, c);
    }
    return out;
  }
}
