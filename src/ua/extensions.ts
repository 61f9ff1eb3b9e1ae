/**
 * The user agent's side of issue 13 §3: capabilities (Allow / Supported list only what is
 * enabled), out-of-dialog MESSAGE (RFC 3428) sending, and out-of-dialog MESSAGE / OPTIONS /
 * INFO / SUBSCRIBE / NOTIFY answered through the application's per-method handlers.
 */
import { createRequest, createResponse, type NameAddr, type SipResponse, type Uri } from '../message/index.js';
import type { UserAgentCore } from '../dialog/user-agent-core.js';
import type { ServerTransaction } from '../transaction/index.js';
import { capabilities, type Capabilities } from '../call/capabilities.js';
import { DEFAULT_EXTENSIONS, type ExtensionPolicy } from '../call/session-extensions.js';
import type { RequestHandlers } from '../call/request-handlers.js';
import type { ExtensionMode } from '../call/rel100.js';
import type { RefreshPolicy } from '../call/session-refresh.js';

/** The options of UserAgentOptions that switch extensions on and off. */
export interface ExtensionOptions {
  /** RFC 3262 100rel/PRACK: 'off', 'supported' (default: reliable 1xx when the peer requires), 'required'. */
  rel100?: ExtensionMode;
  /** RFC 4028 session timers (default mode 'supported': used when the peer asks). */
  sessionTimers?: RefreshPolicy;
  /** RFC 3311 UPDATE (default true). */
  update?: boolean;
  /** Take INFO / MESSAGE at all (default true; off removes them from Allow: 405). */
  info?: boolean;
  message?: boolean;
}

export function extensionPolicy(o: ExtensionOptions): ExtensionPolicy {
  return {
    rel100: o.rel100 ?? DEFAULT_EXTENSIONS.rel100,
    update: o.update ?? DEFAULT_EXTENSIONS.update,
    timers: o.sessionTimers ?? DEFAULT_EXTENSIONS.timers,
  };
}

export function uaCapabilities(o: ExtensionOptions, events: readonly string[] = []): Capabilities {
  const p = extensionPolicy(o);
  return capabilities({
    rel100: p.rel100,
    timer: p.timers.mode,
    update: p.update,
    info: o.info ?? true,
    message: o.message ?? true,
    events,
  });
}

/** Most bytes we put in one MESSAGE body (RFC 3428 §8: 1300 bytes keeps it under a UDP MTU). */
export const MESSAGE_MAX = 1300;

/** Send a page-mode MESSAGE (RFC 3428 §4) out of dialog; resolves with the final response. */
export function sendMessage(
  core: UserAgentCore,
  from: NameAddr,
  target: Uri,
  body: string | Buffer,
  contentType = 'text/plain',
): Promise<SipResponse> {
  const len = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (len > MESSAGE_MAX)
    return Promise.reject(new RangeError(`MESSAGE body of ${len} bytes is over ${MESSAGE_MAX} (RFC 3428 §8)`));
  const req = createRequest({ method: 'MESSAGE', uri: target, from, to: `<${target.toString()}>`, body, contentType });
  return core.send(req);
}

/** Answer an out-of-dialog request through the handlers (never throws; a handler fault is a 500). */
export function answerWith(handlers: RequestHandlers, tx: ServerTransaction): void {
  const req = tx.request;
  void handlers.handle(req, { inDialog: false }).then((r) =>
    tx.respond(
      createResponse(req, r.status, {
        ...(r.reason ? { reason: r.reason } : {}),
        ...(r.headers ? { headers: r.headers } : {}),
        ...(r.body !== undefined ? { body: r.body, contentType: r.contentType ?? 'text/plain' } : {}),
      }),
    ),
  );
}
