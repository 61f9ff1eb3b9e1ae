export * from './types.js';
export { SipTransport, type ListenOptions, type TransportOptions, type TransportStats, type WireEvent } from './sip-transport.js';
export { createDevCertificates, type DevCertificates } from './dev-certs.js';
export { LossyTransport, dropFirstCopies, dropRandomly, type DropRule } from './lossy.js';
export { resolveTargets, withFailover, systemDns, type Dns } from './resolver.js';
