export * from './types.js';
export {
  TransportManager,
  /** The earlier name of TransportManager, kept for existing callers. */
  TransportManager as SipTransport,
  type ListenOptions,
  type TransportOptions,
  type TransportStats,
  type WireEvent,
  type ConnectionInfo,
} from './manager.js';
export { responseTarget, stampReceived, type ResponseRoute } from './routing.js';
export { defaultPort, normalizeAddress, sameAddress } from './address.js';
export { createDevCertificates, type DevCertificates } from './dev-certs.js';
export { LossyTransport, dropFirstCopies, dropRandomly, seededRandom, type DropRule } from './lossy.js';
export { resolveTargets, withFailover, systemDns, type Dns } from './resolver.js';
