/**
 * The call's in-dialog extension methods (issue 13 §3), kept out of call.ts: UPDATE and PRACK to
 * the session's extensions, INFO / MESSAGE / OPTIONS to the application's handler or the default
 * answer (the Call emits its event first), INFO sending, and the INVITE of an outgoing call.
 */
import { NameAddr, createRequest, type SipRequest, type SipResponse, type Uri } from '../message/index.js';
import type { Dialog } from '../dialog/dialog.js';
import type { ServerTransaction } from '../transaction/index.js';
import type { UserAgentCore } from '../dialog/user-agent-core.js';
import type { InviteSession } from './invite-session.js';
import { InvalidStateError, errorForStatus } from './errors.js';
import { InviteState } from './states.js';

/**
 * UPDATE and PRACK to the session's extensions, INFO / MESSAGE / OPTIONS to the application's
 * handler (or the default answer); false for any other method (the router answers 405).
 */
export function onExtensionRequest(session: InviteSession, tx: ServerTransaction, dialog: Dialog): boolean {
  switch (tx.request.method) {
    case 'UPDATE':
      session.ext.onUpdate(tx, dialog);
      return true;
    case 'PRACK':
      session.ext.onPrack(tx);
      return true;
    case 'INFO':
    case 'MESSAGE':
    case 'OPTIONS':
      session.ext.onAppRequest(tx);
      return true;
    default:
      return false;
  }
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

/** The INVITE of an outgoing call, with our capabilities (its SDP offer is added when it is sent). */
export function createInvite(
  core: UserAgentCore,
  contact: NameAddr,
  target: Uri,
  opts: { from: NameAddr; to?: NameAddr; headers?: [string, string][] },
): SipRequest {
  return createRequest({
    method: 'INVITE',
    uri: target,
    from: opts.from,
    to: opts.to ?? new NameAddr(target.clone()),
    contact,
    headers: [['Allow', core.allow.join(', ')], ['Supported', core.supported.join(', ')], ...(opts.headers ?? [])],
  });
}
