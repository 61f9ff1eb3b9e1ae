/** Bounds applied to untrusted input (DoS protection); all overridable per transport. */
export interface MessageLimits {
  /** Largest header section (start line through the empty line), in bytes. */
  maxHeaderBytes: number;
  /** Largest body, in bytes. */
  maxBodyBytes: number;
  /** Most header lines in one message. */
  maxHeaders: number;
}

export const DEFAULT_LIMITS: MessageLimits = Object.freeze({
  maxHeaderBytes: 32 * 1024,
  maxBodyBytes: 1024 * 1024,
  maxHeaders: 256,
});
