/**
 * Explicit state tables for the extension machines (100rel, session timer, UPDATE, request
 * handlers): a move that the table does not list is a bug and throws instead of leaving a
 * half-updated machine behind.
 */

/** A machine was asked for a move its table does not allow. */
export class IllegalTransitionError extends Error {
  override name = 'IllegalTransitionError';
  constructor(
    readonly machine: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(`${machine}: cannot go from ${from} to ${to}`);
  }
}

/** Holds one state and moves it only along `moves`. */
export class StateTable<S extends string> {
  constructor(
    private readonly machine: string,
    private readonly moves: Readonly<Record<S, readonly S[]>>,
    private current: S,
  ) {}
  get state(): S {
    return this.current;
  }
  can(to: S): boolean {
    return this.moves[this.current].includes(to);
  }
  /** Move to `to`; throws IllegalTransitionError when the table has no such move. */
  to(to: S): void {
    if (!this.can(to)) throw new IllegalTransitionError(this.machine, this.current, to);
    this.current = to;
  }
}

/** An option tag or method list header value as lower-cased tokens (`Require: 100rel, timer`). */
export function tokens(values: readonly string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t.length > 0);
}
