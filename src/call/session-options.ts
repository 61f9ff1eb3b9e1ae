/**
 * What an INVITE session is made with: the options every session of a user agent shares, and the
 * parts that are its own.
 */
import type { NameAddr } from '../message/index.js';
import type { UserAgentCore } from '../dialog/user-agent-core.js';
import type { UsageRouter } from '../dialog/usage-router.js';
import type { Clock } from '../util/clock.js';
import type { MediaSession } from '../media/session.js';
import type { ExtensionPolicy } from './session-extensions.js';
import type { RequestHandlers } from './request-handlers.js';
import type { SessionSink } from './session-events.js';

/** Options shared by every session of a user agent (one object, not one per call). */
export interface InviteSessionOptions {
  core: UserAgentCore;
  clock: Clock;
  /** Our Contact on the INVITE, its 2xx and re-INVITEs. */
  contact: NameAddr;
  /** RFC 3261 §14.1 delay after 491 (ms); default glareDelay(). */
  glareDelay?: (ownsCallId: boolean) => number;
  /** Retries after 491 before giving up with RequestPendingError (default 3). */
  maxGlareRetries?: number;
  /** Retry-After (s) for a re-INVITE that arrives before the ACK of our last 2xx (§14.2); default random 0–9. */
  retryAfter?: () => number;
  /** 100rel, UPDATE and session timers (issue 13 §3). */
  extensions?: ExtensionPolicy;
  /** The application's INFO / MESSAGE / OPTIONS handlers. */
  handlers?: RequestHandlers;
}

/** What is the session's own: its media, the router of its dialog, and who hears its events. */
export interface SessionParts {
  media: MediaSession;
  router: UsageRouter;
  /**
   * Told every event (the Call, which relays them to the application). The session is no emitter
   * of its own: an EventEmitter costs 0.26 KB of every held call (issue 16 §1).
   */
  sink: SessionSink;
}
