export { TransactionLayer, type TransactionLayerOptions, type TransactionLayerEvents } from './layer.js';
export {
  ClientTransaction,
  buildAckForNonSuccess,
  synthesize,
  type ClientHandlers,
  type ClientState,
} from './client.js';
export { ServerTransaction, responseTarget, type ServerState } from './server.js';
export { DEFAULT_TIMERS, TRYING_DELAY, TIMER_D_UNRELIABLE, type TimerConfig } from './timers.js';
export { clientKey, serverKey } from './key.js';
