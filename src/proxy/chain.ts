/**
 * Named processors in an ordered chain (the idea of repro's ProcessorChain): the proxy runs a
 * request chain, a target chain and a response chain, and a user inserts their own processor
 * before or after a default one by name.
 */

/**
 * What a processor tells the chain:
 * - 'continue': run the next processor;
 * - 'skip': skip the rest of this chain (the proxy goes on with what follows the chain);
 * - 'stop': the processor dealt with the message (answered, dropped): nothing more is done.
 * A processor that must wait (DNS, a database) returns a promise of one of these.
 */
export type Outcome = 'continue' | 'skip' | 'stop';

export interface Processor<C> {
  readonly name: string;
  process(ctx: C): Outcome | Promise<Outcome>;
}

export class ProcessorNotFoundError extends Error {
  override readonly name = 'ProcessorNotFoundError';
  constructor(chain: string, processor: string) {
    super(`${chain} chain: no processor named "${processor}"`);
  }
}

export class DuplicateProcessorError extends Error {
  override readonly name = 'DuplicateProcessorError';
  constructor(chain: string, processor: string) {
    super(`${chain} chain: a processor named "${processor}" is already there`);
  }
}

export class ProcessorChain<C> {
  private list: Processor<C>[];

  constructor(
    readonly name: string,
    processors: Processor<C>[] = [],
  ) {
    this.list = [];
    for (const p of processors) this.append(p);
  }

  /** Processor names in the order they run. */
  get names(): string[] {
    return this.list.map((p) => p.name);
  }

  get(name: string): Processor<C> | undefined {
    return this.list.find((p) => p.name === name);
  }

  append(p: Processor<C>): this {
    this.check(p);
    this.list = [...this.list, p];
    return this;
  }

  prepend(p: Processor<C>): this {
    this.check(p);
    this.list = [p, ...this.list];
    return this;
  }

  insertBefore(name: string, p: Processor<C>): this {
    return this.insertAt(this.indexOf(name), p);
  }

  insertAfter(name: string, p: Processor<C>): this {
    return this.insertAt(this.indexOf(name) + 1, p);
  }

  /** Replace a processor by another (the new one may have a new name). */
  replace(name: string, p: Processor<C>): this {
    const i = this.indexOf(name);
    if (p.name !== name) this.check(p);
    // copy on write: a run in progress keeps the list it started with
    this.list = [...this.list.slice(0, i), p, ...this.list.slice(i + 1)];
    return this;
  }

  remove(name: string): this {
    const i = this.indexOf(name);
    this.list = [...this.list.slice(0, i), ...this.list.slice(i + 1)];
    return this;
  }

  /**
   * Run the chain. Synchronous processors run without a promise (the proxy's hot path); the
   * first promise switches the rest of the run to async.
   */
  run(ctx: C): Outcome | Promise<Outcome> {
    const list = this.list;
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!.process(ctx);
      if (typeof r !== 'string') return this.continueAsync(list, i, r, ctx);
      if (r !== 'continue') return r;
    }
    return 'continue';
  }

  private async continueAsync(list: Processor<C>[], i: number, first: Promise<Outcome>, ctx: C): Promise<Outcome> {
    let r = await first;
    for (;;) {
      if (r !== 'continue') return r;
      if (++i >= list.length) return 'continue';
      r = await list[i]!.process(ctx);
    }
  }

  private indexOf(name: string): number {
    const i = this.list.findIndex((p) => p.name === name);
    if (i < 0) throw new ProcessorNotFoundError(this.name, name);
    return i;
  }

  private insertAt(i: number, p: Processor<C>): this {
    this.check(p);
    this.list = [...this.list.slice(0, i), p, ...this.list.slice(i)];
    return this;
  }

  private check(p: Processor<C>): void {
    if (this.list.some((x) => x.name === p.name)) throw new DuplicateProcessorError(this.name, p.name);
  }
}

/** A processor from a name and a function. */
export function processor<C>(name: string, process: (ctx: C) => Outcome | Promise<Outcome>): Processor<C> {
  return { name, process };
}
