/**
 * The UAS core's 2xx responses to INVITE that await their ACK (RFC 3261 §13.3.1.4), by dialog key
 * then CSeq number: each is retransmitted over an unreliable transport, T1 doubling to T2, until
 * the ACK arrives; after 64*T1 without one, its `expired` callback runs.
 */
import type { SipResponse } from '../message/index.js';
import type { ServerTransaction, TimerConfig } from '../transaction/index.js';
import type { Clock, TimerHandle } from '../util/clock.js';

interface Pending2xx {
  tx: ServerTransaction;
  timer: TimerHandle | undefined;
  deadline: TimerHandle | undefined;
  resolve: () => void;
}

export interface Pending2xxDeps {
  clock: Clock;
  timers: TimerConfig;
  /** Send a 2xx again once its transaction has ended (RFC 6026: the core retransmits, not the transaction). */
  resend(tx: ServerTransaction, res: SipResponse): void;
}

export class Pending2xxTable {
  private readonly byDialog = new Map<string, Map<number, Pending2xx>>();

  constructor(private readonly deps: Pending2xxDeps) {}

  /**
   * Send `res` on `tx` and keep it until its ACK (resolves true) or 64*T1 (resolves false, after
   * `expired` ran). `reliable`: the transport delivers it, so it is not retransmitted.
   */
  start(tx: ServerTransaction, res: SipResponse, dialogKey: string, reliable: boolean, expired: () => void) {
    const { clock, timers } = this.deps;
    tx.respond(res);
    const seq = tx.request.cseq!.seq;
    return new Promise<boolean>((resolve) => {
      let interval = timers.T1;
      const entry: Pending2xx = { tx, timer: undefined, deadline: undefined, resolve: () => resolve(true) };
      const again = () => {
        tx.respond(res); // passes through in the Accepted state (RFC 6026)
        if (tx.state === 'terminated') this.deps.resend(tx, res);
        interval = Math.min(interval * 2, timers.T2);
        entry.timer = clock.setTimeout(again, interval);
      };
      if (!reliable) entry.timer = clock.setTimeout(again, interval);
      entry.deadline = clock.setTimeout(() => {
        clock.clearTimeout(entry.timer);
        this.forget(dialogKey, seq);
        expired();
        resolve(false);
      }, 64 * timers.T1);
      let forDialog = this.byDialog.get(dialogKey);
      if (!forDialog) this.byDialog.set(dialogKey, (forDialog = new Map()));
      forDialog.set(seq, entry);
    });
  }

  /** The ACK with this CSeq number arrived in the dialog: true when a 2xx awaited it (now settled). */
  acknowledge(dialogKey: string, seq: number): boolean {
    const p = this.byDialog.get(dialogKey)?.get(seq);
    if (!p) return false;
    this.stop(p);
    this.forget(dialogKey, seq);
    p.tx.acknowledged();
    p.resolve();
    return true;
  }

  /** The dialog ended: its 2xx responses are no longer retransmitted (their promises stay pending). */
  dropDialog(dialogKey: string): void {
    const forDialog = this.byDialog.get(dialogKey);
    if (!forDialog) return;
    for (const p of forDialog.values()) this.stop(p);
    this.byDialog.delete(dialogKey);
  }

  clear(): void {
    for (const key of [...this.byDialog.keys()]) this.dropDialog(key);
  }

  private stop(p: Pending2xx): void {
    this.deps.clock.clearTimeout(p.timer);
    this.deps.clock.clearTimeout(p.deadline);
  }

  private forget(dialogKey: string, seq: number): void {
    const forDialog = this.byDialog.get(dialogKey);
    if (!forDialog) return;
    forDialog.delete(seq);
    if (forDialog.size === 0) this.byDialog.delete(dialogKey);
  }
}
