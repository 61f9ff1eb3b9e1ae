import type { EventEmitter } from 'node:events';

/**
 * Emit 'error' only when someone listens: Node's EventEmitter throws an unheard 'error', and
 * inside a promise chain or a socket callback that takes the whole process down.
 * Returns whether a listener got it.
 */
export function emitError(emitter: EventEmitter<any>, err: Error): boolean {
  if (emitter.listenerCount('error') === 0) return false;
  (emitter as EventEmitter).emit('error', err);
  return true;
}

/** The error a promise rejected with, as an Error (a non-Error reason is wrapped). */
export function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
