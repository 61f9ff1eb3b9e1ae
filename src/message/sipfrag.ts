import { SipParseError } from './errors.js';
import { reasonPhrase } from './build.js';

/** A message/sipfrag body (RFC 3420): a start line and optional headers and body. */
export interface Sipfrag {
  /** Status-Line fields, when the fragment starts with one (REFER NOTIFYs, RFC 3515 §2.4.5). */
  status?: number;
  reason?: string;
  /** Request-Line fields, when it starts with a request line. */
  method?: string;
  uri?: string;
  version: string;
  headers: { name: string; value: string }[];
  body: string;
}

/** Parse a sipfrag. Tolerates LF-only line ends and a missing final CRLF; throws SipParseError. */
export function parseSipfrag(input: Buffer | string): Sipfrag {
  const text = typeof input === 'string' ? input : input.toString('utf8');
  const lines = text.split('\n');
  let offset = 0;
  const first = (lines.shift() ?? '').replace(/\r$/, '');
  offset += first.length;
  const m = /^(SIP\/\d+\.\d+) ([1-6]\d\d)(?: (.*))?$/i.exec(first.trim());
  const frag: Sipfrag = { version: 'SIP/2.0', headers: [], body: '' };
  if (m) {
    frag.version = m[1]!.toUpperCase();
    frag.status = Number(m[2]);
    frag.reason = (m[3] ?? '').trim();
  } else {
    const r = /^([!-~]+) (\S+) (SIP\/\d+\.\d+)$/i.exec(first.trim());
    if (!r) throw new SipParseError('sipfrag does not start with a status or request line', 0);
    frag.method = r[1]!;
    frag.uri = r[2]!;
    frag.version = r[3]!.toUpperCase();
  }
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    offset += line.length + 1;
    if (line === '') {
      i++;
      break;
    }
    if (/^[ \t]/.test(line) && frag.headers.length) {
      frag.headers[frag.headers.length - 1]!.value += ' ' + line.trim();
      continue;
    }
    const c = line.indexOf(':');
    if (c <= 0) throw new SipParseError('sipfrag header line without ":"', offset - line.length - 1);
    frag.headers.push({ name: line.slice(0, c).trim(), value: line.slice(c + 1).trim() });
  }
  frag.body = lines.slice(i).join('\n');
  return frag;
}

/** Build the sipfrag a REFER NOTIFY carries: `SIP/2.0 <code> <reason>` with CRLF (RFC 3515 §2.4.5). */
export function buildSipfrag(status: number, reason?: string, headers: [string, string][] = []): string {
  let s = `SIP/2.0 ${status} ${reason ?? reasonPhrase(status)}\r\n`;
  for (const [n, v] of headers) s += `${n}: ${v}\r\n`;
  return s;
}
