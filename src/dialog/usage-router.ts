/**
 * Dispatch of in-dialog requests to the usages of a dialog (RFC 5057): the owner's hooks route
 * the methods it knows (one switch, not a closure per method per dialog), and setHandler() adds
 * or overrides a method (an application's handler). The dialog lives while one of its usages does.
 */
import { createResponse, type SipRequest } from '../message/index.js';
import type { ServerTransaction } from '../transaction/index.js';
import type { Dialog, DialogHandler, DialogUsage } from './dialog.js';
import type { UserAgentCore } from './user-agent-core.js';

export type InDialogRequestHandler = (tx: ServerTransaction, dialog: Dialog) => void;

export interface UsageRouterHooks {
  /**
   * Runs first for every in-dialog request (not ACK): returns true when it answered it, false to
   * leave it to the method's handler (setHandler), else 405.
   */
  onDialogRequest?(tx: ServerTransaction, dialog: Dialog): boolean;
  onAck?(ack: SipRequest, dialog: Dialog): void;
  onAckTimeout?(dialog: Dialog): void;
}

export class UsageRouter implements DialogHandler {
  /** Handlers set with setHandler(), made on the first one. */
  private handlers: Map<string, InDialogRequestHandler> | undefined;

  constructor(
    private readonly core: UserAgentCore,
    private readonly hooks: UsageRouterHooks = {},
  ) {}

  /** Handle `method` in this dialog (replacing any handler it had); undefined removes it. */
  setHandler(method: string, handler: InDialogRequestHandler | undefined): void {
    if (handler) (this.handlers ??= new Map()).set(method.toUpperCase(), handler);
    else this.handlers?.delete(method.toUpperCase());
  }
  getHandler(method: string): InDialogRequestHandler | undefined {
    return this.handlers?.get(method.toUpperCase());
  }

  /** Have the core route this dialog's requests here. */
  attach(dialog: Dialog): void {
    this.core.addDialog(dialog, this);
  }

  addUsage(dialog: Dialog, usage: DialogUsage): void {
    dialog.addUsage(usage);
  }

  /** A usage ended; the dialog ends with its last usage (RFC 5057 §5). */
  releaseUsage(dialog: Dialog | undefined, usage: DialogUsage): void {
    if (!dialog) return;
    if (dialog.removeUsage(usage) === 0) {
      dialog.state = 'terminated';
      this.core.removeDialog(dialog);
    }
  }

  onRequest(tx: ServerTransaction, dialog: Dialog): void {
    if (this.hooks.onDialogRequest?.(tx, dialog)) return;
    const h = this.handlers?.get(tx.request.method);
    if (h) h(tx, dialog);
    else tx.respond(createResponse(tx.request, 405, { headers: [['Allow', this.core.allow.join(', ')]] }));
  }
  onAck(ack: SipRequest, dialog: Dialog): void {
    this.hooks.onAck?.(ack, dialog);
  }
  onAckTimeout(dialog: Dialog): void {
    this.hooks.onAckTimeout?.(dialog);
  }
}
