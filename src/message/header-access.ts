// Untyped header access (read by name, edit lines) and the body, over MessageLines.
import { ID_VIA, headerId } from './header-ids.js';
import { headerKey } from './header-names.js';
import { splitList } from './scanner.js';
import { fromWire } from './wire.js';
import { MessageLines } from './message-lines.js';
import { newField } from './parsed-head.js';

export abstract class HeaderAccess extends MessageLines {
  // ---- untyped access -------------------------------------------------------------------

  /** First value of a header as text (UTF-8 decoded), or undefined. Compact names work too. */
  get(name: string): string | undefined {
    const key = headerKey(name);
    if (this.head) {
      // read in place: a parsed message's fields are not built for a lookup
      const r = this.findKey(key, headerId(key), 0);
      return r < 0 ? undefined : fromWire(this.valueAt(r));
    }
    for (const h of this.headers) if (h.key === key) return fromWire(h.value);
    return undefined;
  }
  /** Every line's value of a header, in order. */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    if (this.head) {
      const id = headerId(key);
      for (let r = this.findKey(key, id, 0); r >= 0; r = this.findKey(key, id, r + 1))
        out.push(fromWire(this.valueAt(r)));
      return out;
    }
    for (const h of this.headers) if (h.key === key) out.push(fromWire(h.value));
    return out;
  }
  /**
   * Every line's value of a header as it is on the wire (not UTF-8 decoded), in order, read in
   * place from a parsed message: copying a few headers into a response builds no field objects.
   */
  wireValues(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    if (this.head) {
      const id = headerId(key);
      for (let r = this.findKey(key, id, 0); r >= 0; r = this.findKey(key, id, r + 1)) out.push(this.valueAt(r));
      return out;
    }
    for (const h of this.headers) if (h.key === key) out.push(h.value);
    return out;
  }
  has(name: string): boolean {
    const key = headerKey(name);
    if (this.head) return this.findKey(key, headerId(key), 0) >= 0;
    for (const h of this.headers) if (h.key === key) return true;
    return false;
  }
  /** Number of header lines with this name. */
  count(name: string): number {
    const key = headerKey(name);
    let n = 0;
    if (this.head) {
      const id = headerId(key);
      for (let r = this.findKey(key, id, 0); r >= 0; r = this.findKey(key, id, r + 1)) n++;
      return n;
    }
    for (const h of this.headers) if (h.key === key) n++;
    return n;
  }

  /** Replace every line of `name` with one line holding `value` (at the first one's place). */
  set(name: string, value: string | { toString(): string }): this {
    const key = headerKey(name);
    const field = newField(name, key, value);
    const i = this.headers.findIndex((h) => h.key === key);
    this.headers = this.headers.filter((h) => h.key !== key);
    this.headers.splice(i < 0 ? this.headers.length : i, 0, field);
    return this.touch(key);
  }
  /** Add a line after the last line of the same name (or at the end). */
  append(name: string, value: string | { toString(): string }): this {
    const key = headerKey(name);
    let i = -1;
    for (let j = 0; j < this.headers.length; j++) if (this.headers[j]!.key === key) i = j;
    this.headers.splice(i < 0 ? this.headers.length : i + 1, 0, newField(name, key, value));
    return this.touch(key);
  }
  /** Add a line before the first line of the same name (or at the top): Via, Record-Route. */
  prepend(name: string, value: string | { toString(): string }): this {
    const key = headerKey(name);
    const i = this.headers.findIndex((h) => h.key === key);
    this.headers.splice(i < 0 ? 0 : i, 0, newField(name, key, value));
    return this.touch(key);
  }
  remove(name: string): this {
    const key = headerKey(name);
    this.headers = this.headers.filter((h) => h.key !== key);
    return this.touch(key);
  }
  /** Remove the first value of a list header (top Via, first Route), keeping the rest byte for byte. */
  removeFirstValue(name: string): this {
    const key = headerKey(name);
    const i = this.headers.findIndex((h) => h.key === key);
    if (i < 0) return this;
    const first = this.headers[i]!;
    const parts = splitList(first.value);
    if (parts.length <= 1) this.headers.splice(i, 1);
    else
      this.headers.splice(i, 1, {
        name: first.name,
        key,
        value: first.value.slice(parts[1]!.offset),
        offset: first.offset < 0 ? -1 : first.offset + parts[1]!.offset,
      });
    return this.touch(key);
  }
  get body(): Buffer {
    return (this._body ??= this.head ? this.head.buf.subarray(this.head.bodyStart, this.head.end) : Buffer.alloc(0));
  }
  /** Replacing the body marks the message modified; Content-Length follows on serialisation. */
  set body(b: Buffer) {
    this._body = b;
    this.touch();
  }
  setBody(body: Buffer | string, contentType?: string): this {
    this._body = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    if (contentType !== undefined) this.set('Content-Type', contentType);
    if (this._body!.length === 0 && contentType === undefined) this.remove('Content-Type');
    this.set('Content-Length', String(this.body.length));
    return this;
  }
  protected touch(key?: string): this {
    this.dirty = true;
    if (key !== undefined) {
      // the header fields are now the truth; the parsed line index is stale
      this.dropHead();
      const id = headerId(key);
      if (id >= 0 && this.tcache) this.tcache[id] = undefined;
      if (id >= 0 && this.faults) this.faults = this.faults.filter((f) => f.key !== key);
      if (id === ID_VIA) this.topViaCache = undefined;
    }
    return this;
  }
}
