/**
 * An ordered parameter list (`;name=value`), as found on URIs and header values.
 * Names compare case-insensitively (RFC 3261 §7.3.1); order and spelling are kept for output.
 */
export interface Param {
  name: string;
  value: string | null;
}

export class Params implements Iterable<Param> {
  readonly list: Param[];
  constructor(list: Param[] = []) {
    this.list = list;
  }
  private index(name: string): number {
    const list = this.list;
    let n: string | undefined;
    for (let i = 0; i < list.length; i++) {
      const k = list[i]!.name;
      // the same spelling (the usual case) needs no lower-casing, nor does another length
      if (k === name || (k.length === name.length && k.toLowerCase() === (n ??= name.toLowerCase()))) return i;
    }
    return -1;
  }
  has(name: string): boolean {
    return this.index(name) >= 0;
  }
  /** Value, `null` for a flag parameter, `undefined` when absent. */
  get(name: string): string | null | undefined {
    const i = this.index(name);
    return i < 0 ? undefined : this.list[i]!.value;
  }
  set(name: string, value: string | null = null): this {
    const i = this.index(name);
    if (i < 0) this.list.push({ name, value });
    else this.list[i] = { name: this.list[i]!.name, value };
    return this;
  }
  delete(name: string): boolean {
    const i = this.index(name);
    if (i < 0) return false;
    this.list.splice(i, 1);
    return true;
  }
  get size(): number {
    return this.list.length;
  }
  [Symbol.iterator](): Iterator<Param> {
    return this.list[Symbol.iterator]();
  }
  clone(): Params {
    return new Params(this.list.map((p) => ({ ...p })));
  }
  /** `;a=b;c` — values are written as given (already escaped or quoted by the caller). */
  toString(): string {
    let out = '';
    for (const p of this.list) out += p.value === null ? `;${p.name}` : `;${p.name}=${p.value}`;
    return out;
  }
  toJSON(): Record<string, string | null> {
    const o: Record<string, string | null> = {};
    for (const p of this.list) o[p.name] = p.value;
    return o;
  }
}
