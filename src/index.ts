/** Switchboard: SIP call control for Node.js. The package root exports the public API by layer. */
export * from './message/index.js';
