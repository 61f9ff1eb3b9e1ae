/**
 * The call's in-dialog extension methods (issue 13 §3), kept out of call.ts: UPDATE and PRACK to
 * the session's extensions, INFO / MESSAGE / OPTIONS to the application (an event, then the
 * handler or the default answer), and INFO sending.
 */
import type { SipRequest, SipResponse } from '../message/index.js';
import type { UsageRouter } from '../dialog/usage-router.js';
import type { UserAgentCore } from '../dialog/user-agent-core.js';
import type { InviteSession } from './invite-session.js';
import { InvalidStateError, errorForStatus } from './errors.js';
import { InviteState } from './states.js';

/** Route the extension methods of this call's dialog; `notify` tells the application first. */
export function routeExtensions(
  router: UsageRouter,
  session: InviteSession,
  notify: (method: 'INFO' | 'MESSAGE', req: SipRequest) => void,
): void {
  router.setHandler('UPDATE', (tx, d) => session.ext.onUpdate(tx, d));
  router.setHandler('PRACK', (tx) => session.ext.onPrack(tx));
  for (const m of ['INFO', 'MESSAGE', 'OPTIONS'] as const)
    router.setHandler(m, (tx) => {
      if (m !== 'OPTIONS') notify(m, tx.request);
      session.ext.onAppRequest(tx);
    });
}

/** Send INFO in the call's dialog (RFC 6086 legacy INFO, e.g. DTMF relay); resolves with the 2xx. */
export async function sendInfo(
  core: UserAgentCore,
  session: InviteSession,
  body: string | Buffer,
  contentType: string,
  headers: [string, string][] = [],
): Promise<SipResponse> {
  const d = session.dialog;
  if (!d || session.state !== InviteState.Connected)
    throw new InvalidStateError('INVITE session', session.state, 'INFO');
  const res = await core.send(d.createRequest('INFO', { body, contentType, headers }));
  if (res.status >= 300) throw errorForStatus(res.status, res.reason, 'INFO');
  return res;
}
