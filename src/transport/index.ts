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
export { defaultPort, literalLookup, normalizeAddress, sameAddress } from './address.js';
export {
  createDevCertificates,
  createDevCa,
  issueDevCertificate,
  type DevCertificates,
  type DevCertificateOptions,
} from './dev-certs.js';
export { ConnectionGuard, DEFAULT_STREAM_LIMITS, type StreamLimits, type RefusalReason } from './guard.js';
export { LossyTransport, dropFirstCopies, dropRandomly, seededRandom, type DropRule } from './lossy.js';
export {
  resolveTargets,
  numericTargets,
  withFailover,
  orderSrv,
  systemDns,
  createSystemDns,
  type Dns,
  type NaptrRecord,
  type SrvRecord,
  type ResolveOptions,
  type FailoverOptions,
} from './resolver.js';
