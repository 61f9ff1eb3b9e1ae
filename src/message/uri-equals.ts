// URI comparison (RFC 3261 §19.1.4, RFC 3966 §4).
import { unescape } from './chars.js';
import { type Params } from './params.js';
import { type SipUri, type Uri } from './uri-types.js';

/** URI equality per RFC 3261 §19.1.4 (sip/sips), RFC 3966 §4 (tel), case-insensitive scheme otherwise. */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (a.kind === 'sip' && b.kind === 'sip') return sipUriEquals(a, b);
  if (a.kind === 'tel' && b.kind === 'tel') {
    const norm = (n: string) => n.replace(/[-.()]/g, '').toLowerCase();
    return norm(a.number) === norm(b.number) && paramsEqualAll(a.params, b.params);
  }
  if (a.kind === 'absolute' && b.kind === 'absolute') return a.scheme === b.scheme && a.opaque === b.opaque;
  return false;
}

function sipUriEquals(a: SipUri, b: SipUri): boolean {
  if (a.scheme !== b.scheme) return false;
  // userinfo is case-sensitive, compared after unescaping
  if ((a.user === undefined) !== (b.user === undefined)) return false;
  if (a.user !== undefined && unescape(a.user) !== unescape(b.user!)) return false;
  if ((a.password ?? null) !== (b.password ?? null) && unescape(a.password ?? '') !== unescape(b.password ?? ''))
    return false;
  if (a.hostname !== b.hostname) return false;
  if (a.port !== b.port) return false; // an explicit port never equals an absent one
  // user, ttl, method, maddr and transport must match when present in either
  for (const name of ['user', 'ttl', 'method', 'maddr', 'transport']) {
    const va = a.params.get(name);
    const vb = b.params.get(name);
    if (va === undefined && vb === undefined) continue;
    if (va === undefined || vb === undefined) return false;
    if (unescape(va ?? '').toLowerCase() !== unescape(vb ?? '').toLowerCase()) return false;
  }
  // any other parameter appearing in both must match
  for (const p of a.params) {
    const vb = b.params.get(p.name);
    if (vb === undefined) continue;
    if (unescape(p.value ?? '').toLowerCase() !== unescape(vb ?? '').toLowerCase()) return false;
  }
  // headers: all must be present in both and equal
  if (a.headers.size !== b.headers.size) return false;
  for (const h of a.headers) {
    const vb = b.headers.get(h.name);
    if (vb === undefined || unescape(vb ?? '') !== unescape(h.value ?? '')) return false;
  }
  return true;
}

function paramsEqualAll(a: Params, b: Params): boolean {
  if (a.size !== b.size) return false;
  for (const p of a) {
    const v = b.get(p.name);
    if (v === undefined || (v ?? '').toLowerCase() !== (p.value ?? '').toLowerCase()) return false;
  }
  return true;
}
