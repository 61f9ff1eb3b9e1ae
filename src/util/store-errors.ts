/**
 * A shared store (Redis) did not answer in time or refused: the operation was not done, and may
 * succeed later. A server turns it into 503 with Retry-After (RFC 3261 §21.5.4), never a crash.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  /** Seconds after which a retry may succeed (for Retry-After). */
  readonly retryAfter: number;
  constructor(what: string, cause: unknown, retryAfter = 5) {
    super(`${what}: store unavailable (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    this.retryAfter = retryAfter;
  }
}
