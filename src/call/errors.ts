/**
 * Typed failures of the call API: every promise of a Call, Session or UserAgent rejects with one
 * of these, so that an application can tell a busy callee from a timeout or a glare give-up.
 */

/** Base class: `instanceof CallError` catches them all. */
export class CallError extends Error {
  override name = 'CallError';
}

/** The peer (or a proxy) answered a final non-2xx: `status` and `reason` are the response's. */
export class CallRejectedError extends CallError {
  override name = 'CallRejectedError';
  constructor(
    readonly status: number,
    readonly reason: string,
    what = 'request',
  ) {
    super(`${what} rejected: ${status} ${reason}`);
  }
}

/** No final response in time (Timer B/F, RFC 3261 §17.1), or a synthesized 408. */
export class RequestTimeoutError extends CallError {
  override name = 'RequestTimeoutError';
  constructor(what = 'request') {
    super(`${what} timed out (no final response)`);
  }
}

/** The request was cancelled: CANCEL/487 (RFC 3261 §9), an AbortSignal, or the call ended first. */
export class CancelledError extends CallError {
  override name = 'CancelledError';
  constructor(what = 'request') {
    super(`${what} cancelled`);
  }
}

/** 491 Request Pending kept coming after the RFC 3261 §14.1 retries, or an offer is already pending. */
export class RequestPendingError extends CallError {
  override name = 'RequestPendingError';
  constructor(what = 'request') {
    super(`${what}: another offer is pending (491 Request Pending, RFC 3261 §14.1)`);
  }
}

/** A transfer ended without a 2xx sipfrag: the NOTIFY's status, the REFER's rejection, or 408 when no final NOTIFY came. */
export class TransferFailedError extends CallError {
  override name = 'TransferFailedError';
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(`transfer failed: ${status} ${reason}`);
  }
}

/** A protocol machine was asked for a transition its state does not allow. */
export class InvalidStateError extends CallError {
  override name = 'InvalidStateError';
  constructor(
    readonly machine: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(`${machine}: cannot go from ${from} to ${to}`);
  }
}

/** The error for a final non-2xx response to a request of ours (`what` names it in the message). */
export function errorForStatus(status: number, reason: string, what: string): CallError {
  if (status === 408) return new RequestTimeoutError(what);
  if (status === 487) return new CancelledError(what);
  if (status === 491) return new RequestPendingError(what);
  return new CallRejectedError(status, reason, what);
}
