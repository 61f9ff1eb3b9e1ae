/**
 * Allow and Supported list only what is enabled (issue 13 §3): PRACK and 100rel with reliable
 * provisional responses, UPDATE when on (and for refreshes), timer with session timers,
 * INFO / MESSAGE / SUBSCRIBE when the application takes them.
 */
import type { ExtensionMode } from './rel100.js';

export interface CapabilityOptions {
  /** RFC 3262 100rel/PRACK. */
  rel100: ExtensionMode;
  /** RFC 4028 session timers. */
  timer: ExtensionMode;
  /** RFC 3311 UPDATE. */
  update: boolean;
  /** INFO and MESSAGE are taken (by a handler or the default 200). */
  info: boolean;
  message: boolean;
  /** Event packages we take SUBSCRIBE for (RFC 6665 Allow-Events). */
  events: readonly string[];
}

export const DEFAULT_CAPABILITIES: CapabilityOptions = Object.freeze({
  rel100: 'supported',
  timer: 'supported',
  update: true,
  info: true,
  message: true,
  events: [],
});

/** Methods every user agent here implements: RFC 3261 core, OPTIONS, REFER and its NOTIFY. */
const CORE_METHODS = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REFER', 'NOTIFY'];
const CORE_TAGS = ['replaces', 'norefersub'];

export interface Capabilities {
  allow: string[];
  supported: string[];
  allowEvents: string[];
}

export function capabilities(o: CapabilityOptions): Capabilities {
  const allow = [...CORE_METHODS];
  if (o.rel100 !== 'off') allow.push('PRACK');
  if (o.update) allow.push('UPDATE');
  if (o.info) allow.push('INFO');
  if (o.message) allow.push('MESSAGE');
  if (o.events.length > 0) allow.push('SUBSCRIBE');
  const supported = [...CORE_TAGS];
  if (o.rel100 !== 'off') supported.push('100rel');
  if (o.timer !== 'off') supported.push('timer');
  return { allow, supported, allowEvents: ['refer', ...o.events.filter((e) => e !== 'refer')] };
}
