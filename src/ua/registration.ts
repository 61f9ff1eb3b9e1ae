/**
 * The user agent's registration (RFC 3261 §10.2): REGISTER our Contact with the registrar,
 * answering its challenge, retried with Min-Expires after 423 (§10.2.8), refreshed before expiry.
 */
import { createRequest, parseUri, type NameAddr, type Uri } from '../message/index.js';
import type { UserAgentCore } from '../dialog/user-agent-core.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { asError } from '../util/events.js';

/** The user agent as the registration reads it (its core and Contact exist once started). */
export interface RegistrationHost {
  readonly core: UserAgentCore;
  readonly clock: Clock;
  readonly aor: NameAddr;
  readonly contact: NameAddr;
}

/** What the registration tells the user agent. */
export interface RegistrationEvents {
  registered(expires: number): void;
  unregistered(): void;
  failed(status: number, reason: string): void;
  error(e: Error): void;
}

export class Registration {
  /** A binding of ours is registered now. */
  active = false;
  private timer: TimerHandle | undefined;
  private callId: string | undefined;
  private cseq = 0;

  constructor(
    private readonly host: RegistrationHost,
    private readonly registrar: string | Uri | undefined,
    private readonly events: RegistrationEvents,
  ) {}

  /** REGISTER for `expires` seconds (0 removes our binding); resolves with the final status. */
  async register(expires: number): Promise<number> {
    if (!this.registrar) throw new Error('no registrar configured');
    const { core, clock, aor, contact } = this.host;
    const registrar = typeof this.registrar === 'string' ? parseUri(this.registrar) : this.registrar;
    // §10.2: the same Call-ID for every REGISTER of this UA to this registrar, CSeq increasing
    this.callId ??= `${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
    const to = aor.clone();
    to.params.delete('tag');
    const req = createRequest({
      method: 'REGISTER',
      uri: registrar,
      from: aor.clone(),
      to,
      callId: this.callId,
      cseq: ++this.cseq,
      contact: `${contact.toString()};expires=${expires}`,
      headers: [['Expires', String(expires)]],
    });
    let retried = req;
    const res = await core.send(req, { onRetry: (r) => (retried = r) });
    this.cseq = retried.cseq!.seq;
    clock.clearTimeout(this.timer);
    if (res.status >= 200 && res.status < 300) {
      const mine = (res.contact === '*' ? [] : res.contact).find((c) => c.uri.toString() === contact.uri.toString());
      const granted = mine?.expires ?? res.expires ?? expires;
      this.active = expires > 0;
      if (expires > 0) {
        // refresh a little before expiry
        this.timer = clock.setTimeout(
          () => void this.register(expires).catch((e) => this.events.error(asError(e))),
          Math.max(1, granted * 0.8) * 1000,
        );
        this.events.registered(granted);
      } else this.events.unregistered();
    } else if (res.status === 423 && res.minExpires && expires > 0) {
      return this.register(res.minExpires);
    } else {
      this.events.failed(res.status, res.reason);
    }
    return res.status;
  }

  /** Stop refreshing (before an un-REGISTER or at shutdown). */
  stopRefresh(): void {
    this.host.clock.clearTimeout(this.timer);
  }
}
