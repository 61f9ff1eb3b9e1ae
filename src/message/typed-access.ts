// Typed header access: each typed header parsed on first use into a per-message cache (one pass
// over every line on an eager parse), with faults of the headers that are not mandatory kept.
import { SipParseError } from './errors.js';
import { canonicalName, headerKey } from './header-names.js';
import { ID_VIA, KNOWN_KEYS, headerId } from './header-ids.js';
import { fastNameAddr } from './headers/name-addr.js';
import { fastViaAt } from './headers/via.js';
import { HeaderAccess } from './header-access.js';
import * as specs from './header-specs.js';
import { PARSERS, accumulate, combine, plainValue, type HeaderFault, type HeaderResult } from './header-specs.js';
import { valueEnd, valueStart } from './message-lines.js';
import { BARE_CR, bareCr, lineEnd } from './parsed-head.js';

// Same-module copies of the cache marks and tables read on every typed access: an imported
// binding is read through the exporting module's cell, with a TDZ check; a local constant is not.
const { ABSENT_CACHE, CR_SAFE, EMPTY_CACHE, FAULT, IN_PLACE, NO_CACHE, NONE, SOFT, SPECS } = specs;

export abstract class TypedAccess extends HeaderAccess {
  // ---- typed access (parsed on first use, cached) ---------------------------------------

  /** Parse header `key` with its typed parser; undefined if absent. Throws SipParseError anchored to the message. */
  typed<T>(key: string): T | undefined {
    const id = headerId(key);
    if (id < 0) throw new Error(`no typed parser for header "${key}"`);
    return this.typedId<T>(id);
  }

  /**
   * The typed value of a header, or its fault, never throwing for what the peer sent (a header
   * not in the mandatory set may be malformed and the message still parse: see `headerFaults`).
   */
  parsed<T>(name: string): HeaderResult<T> {
    const id = headerId(headerKey(name));
    if (id < 0) throw new Error(`no typed parser for header "${name}"`);
    try {
      return { ok: true, value: this.typedId<T>(id) };
    } catch (e) {
      if (e instanceof SipParseError) return { ok: false, error: e };
      throw e;
    }
  }

  /**
   * Faults found in headers that are not mandatory (their getters throw the fault; `parsed()` returns
   * it). Complete on an eager parse; on a lazy one, after parseAll().
   */
  get headerFaults(): readonly HeaderFault[] {
    return this.faults ?? NONE;
  }

  /** The cached typed value, else a parse: small, so each getter inlines the cache read. */
  protected typedId<T>(id: number): T | undefined {
    const c = this.tcache?.[id];
    if (c === undefined || c === FAULT) return this.parseTyped<T>(id);
    return c === NO_CACHE ? undefined : (c as T);
  }

  protected parseTyped<T>(id: number): T | undefined {
    const tc = (this.tcache ??= EMPTY_CACHE.slice());
    if (tc[id] === FAULT) throw this.faultOf(id);
    let result: unknown = NO_CACHE;
    const head = this.head;
    try {
      if (head) {
        const crSafe = CR_SAFE[id]!;
        for (let r = this.findLine(id, 0); r >= 0; r = this.findLine(id, r + 1)) {
          const v = this.valueAt(r, this.foundAfter, crSafe);
          result = accumulate(result, v, this.readBytes, head.base + this.readVs, id);
        }
      } else {
        const key = KNOWN_KEYS[id]!;
        for (const h of this._headers!) {
          if (h.key === key) result = accumulate(result, h.value, undefined, Math.max(h.offset, 0), id);
        }
      }
    } catch (e) {
      tc[id] = this.soften(id, e);
      throw e;
    }
    tc[id] = result;
    return result === NO_CACHE ? undefined : (result as T);
  }

  /**
   * A parse error in header `id`: recorded as a fault (returns FAULT for the cache) when the
   * header is not mandatory, else rethrown. A bare CR is a fault of the message's framing, never
   * of one header (it could end the line for another parser: RFC 3261 §7.3.1).
   */
  protected soften(id: number, e: unknown): typeof FAULT {
    if (!SOFT[id] || !(e instanceof SipParseError) || e.reason === BARE_CR) throw e;
    const key = KNOWN_KEYS[id]!;
    (this.faults ??= []).push({ header: canonicalName(key), key, error: e });
    return FAULT;
  }

  protected faultOf(id: number): SipParseError {
    const key = KNOWN_KEYS[id]!;
    return this.faults!.find((f) => f.key === key)!.error;
  }

  /**
   * Let go of the header objects and typed values derived from the parsed bytes; the next read
   * derives them again. For a message kept long after it was handled (the INVITE of an established
   * call): issue 16 §1 measured them at ~3 KB of the ~18 KB a held call cost. Only an unedited parsed
   * message without faults lets go (its bytes stay the truth).
   */
  releaseParsed(): boolean {
    const head = this.head;
    if (!head || this.dirty || this.faults) return false;
    this._headers = undefined;
    this.tcache = undefined;
    this.topViaCache = undefined;
    // the latin1 text of the header section too (as large as the message, on the JS heap; the
    // bytes stay): the values cut from it went with the caches, so it can be collected
    head.src = undefined;
    return true;
  }

  /**
   * Parse every header the stack knows, so that any syntax error surfaces now. `only` (on a fresh
   * eager parse, by header id): just those; the others are parsed when first read.
   */
  parseAll(only?: readonly boolean[]): this {
    const head = this.head;
    if (head?.ids && this.tcache === undefined) {
      // one pass in line order; afterwards every typed getter is a cache hit
      // every header starts absent (NO_CACHE), which is also what accumulate starts from
      const tc = (this.tcache = ABSENT_CACHE.slice());
      const { ids, starts, buf, base } = head;
      const src = this.text(head);
      for (let r = 0; r < ids.length; r++) {
        const packed = ids[r]!;
        const id = (packed & 63) - 1;
        // RFC 3261 §7.3.1: a CR only before LF. The typed parsers in CR_SAFE reject any CR
        // (accumulate names it); every other line is searched.
        const skip = only !== undefined && id >= 0 && !only[id];
        if (id < 0 || (packed & 64) !== 0 || !CR_SAFE[id] || skip) bareCr(src, base, starts[r]!, starts[r + 1]! - 1);
        if (id < 0) continue;
        if (skip) {
          // present, not parsed yet: its first read parses it (and records a fault then)
          tc[id] = undefined;
          continue;
        }
        // a header that failed on an earlier line stays a fault; its later lines stay raw
        if (tc[id] === FAULT) continue;
        if ((packed & 64) !== 0 || packed < 128) {
          // folded (or a name scan that kept no colon offset): the general path
          const v = this.valueAt(r);
          tc[id] = this.accumulateSoft(tc[id], v, this.readBytes, base + this.readVs, id);
          continue;
        }
        // the value after the colon, as locate() finds it (without its method call and destructuring)
        const end = lineEnd(buf, base, starts, r);
        const vs = valueStart(buf, base, starts[r]! + (packed >> 7), end);
        const ve = valueEnd(buf, base, vs, end);
        if (id <= 13 && tc[id] === NO_CACHE) {
          // the few-octet headers in their plain form, without a slice of the value
          const v = plainValue(id, buf, base + vs, base + ve, src, base);
          if (v !== undefined) {
            tc[id] = v;
            continue;
          }
        }
        if (IN_PLACE[id]) {
          // Via and the name-addr headers: their fast paths read the value in place, in src
          const v = id === ID_VIA ? fastViaAt(src, buf, base, vs, ve) : fastNameAddr(src, buf, base, vs, ve);
          if (v !== undefined) {
            const prev = tc[id];
            // as accumulate combines them (list headers join; a second single-value line is a fault)
            if (prev === NO_CACHE) tc[id] = SPECS[id]!.list ? [v] : v;
            else {
              try {
                tc[id] = combine(SPECS[id]!.list, prev, [v], base + vs, id);
              } catch (e) {
                tc[id] = this.soften(id, e);
              }
            }
            continue;
          }
        }
        tc[id] = this.accumulateSoft(tc[id], src.slice(vs, ve), buf, base + vs, id);
      }
    } else if (head) {
      for (let r = 0; r + 1 < head.starts.length; r++) {
        const id = head.ids ? (head.ids[r]! & 63) - 1 : headerId(headerKey(this.nameAt(r)));
        if (id >= 0) this.typedQuiet(id);
      }
    } else for (const h of this.headers) if (PARSERS[h.key]) this.typedQuiet(headerId(h.key));
    return this;
  }

  /** accumulate, with a fault in a header that is not mandatory recorded instead of thrown. */
  protected accumulateSoft(result: unknown, value: string, bytes: Uint8Array | undefined, at: number, id: number) {
    try {
      return accumulate(result, value, bytes, at, id);
    } catch (e) {
      return this.soften(id, e);
    }
  }

  /** Parse header `id` into the cache; a fault that parseTyped recorded is not thrown again. */
  protected typedQuiet(id: number): void {
    try {
      this.typedId(id);
    } catch (e) {
      if (this.tcache?.[id] !== FAULT) throw e;
    }
  }
}
