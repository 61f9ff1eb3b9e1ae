/**
 * Builds the SessionPort (session-extensions.ts) of an InviteSession from closures over its
 * state, so that the session class keeps only one-line hooks for the extensions.
 */
import type { SipRequest, SipResponse } from '../message/index.js';
import type { Dialog } from '../dialog/dialog.js';
import type { UserAgentCore } from '../dialog/user-agent-core.js';
import type { Clock } from '../util/clock.js';
import type { MediaSession, MediaState } from '../media/session.js';
import type { RequestHandlers } from './request-handlers.js';
import type { SessionPort } from './session-extensions.js';
import type { Signalling } from './update.js';
import type { Machine, SignallingState } from './states.js';

export interface PortSources {
  role: 'uac' | 'uas';
  core: UserAgentCore;
  clock: Clock;
  media: MediaSession;
  contact: string;
  signalling: Machine<SignallingState>;
  dialog: () => Dialog | undefined;
  connected: () => boolean;
  serial: SessionPort['serial'];
  refreshByInvite: (headers: [string, string][]) => Promise<SipResponse>;
  mediaChanged: (before: MediaState) => void;
  expire: () => void;
  error: (e: Error) => void;
  handlers: RequestHandlers | undefined;
}

export function sessionPort(s: PortSources): SessionPort {
  let negotiated = false;
  return {
    role: s.role,
    clock: s.clock,
    media: s.media,
    T1: s.core.transactions.timers.T1,
    dialog: s.dialog,
    signalling: () => s.signalling.state as Signalling,
    setSignalling: (to) => s.signalling.to(to as SignallingState),
    negotiated: () => negotiated || s.connected(),
    setNegotiated: () => void (negotiated = true),
    connected: s.connected,
    send: (req: SipRequest) => s.core.send(req),
    serial: s.serial,
    refreshByInvite: s.refreshByInvite,
    mediaChanged: s.mediaChanged,
    expire: s.expire,
    error: s.error,
    handlers: s.handlers,
    contactHeader: () => s.contact,
  };
}
