/** Character classes of RFC 3261 §25.1, as bit flags in a 256-entry table. */
export const TOKEN = 1;
export const WORD = 2;
export const UNRESERVED = 4;
export const USER = 8; // user-unreserved plus unreserved (escapes handled apart)
export const PASSWORD = 16;
export const PARAM = 32; // paramchar minus escapes
export const HNV = 64; // hname/hvalue chars minus escapes
export const HOST = 128; // hostname / IPv4 chars

export const CHAR = new Uint8Array(256);

function mark(flag: number, chars: string): void {
  for (let i = 0; i < chars.length; i++) CHAR[chars.charCodeAt(i)]! |= flag;
}
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const MARK = "-_.!~*'()";
mark(TOKEN, ALNUM + "-.!%*_+`'~");
mark(WORD, ALNUM + "-.!%*_+`'~" + '()<>:\\"/[]?{}');
mark(UNRESERVED, ALNUM + MARK);
mark(USER, ALNUM + MARK + '&=+$,;?/');
mark(PASSWORD, ALNUM + MARK + '&=+$,');
mark(PARAM, ALNUM + MARK + '[]/:&+$');
mark(HNV, ALNUM + MARK + '[]/?:+$');
mark(HOST, ALNUM + '-.');

/**
 * The octets of a wire string (latin1: one char per octet). Scanners read these rather than
 * charCodeAt, which V8 makes check the string's representation on every call; a Uint8Array load
 * is two to three times cheaper per char.
 */
export function latin1Bytes(s: string): Uint8Array {
  const b = Buffer.from(s, 'latin1');
  // a char above 0xFF (text not yet in wire form) must not alias a valid octet: 0xFF is in no
  // character class, as such a char was in none before
  if (WIDE.test(s)) for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) b[i] = 0xff;
  return b;
}
const WIDE = /[^\x00-\xff]/;

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255 || !(CHAR[c]! & TOKEN)) return false;
  }
  return true;
}

export function isWord(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255 || !(CHAR[c]! & WORD)) return false;
  }
  return true;
}

export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Checks that `s` only holds chars of `flag` or %HH escapes; returns the bad index or -1. */
export function badEscapedIndex(s: string, flag: number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 /* % */) {
      if (!isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) return i;
      i += 2;
    } else if (c > 255 || !(CHAR[c]! & flag)) {
      return i;
    }
  }
  return -1;
}

export function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** %HH-decode once (never recursively, RFC 4475 §3.1.1.3), producing octets as a binary string. */
export function unescape(s: string): string {
  if (s.indexOf('%') < 0) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      out += String.fromCharCode(parseInt(s.substr(i + 1, 2), 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

/** Escape every octet of `s` outside `flag` as %HH. */
export function escape(s: string, flag: number): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 256 && CHAR[c]! & flag) out += s[i];
    else out += '%' + (c & 0xff).toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/**
 * s in lower case; toLowerCase (a runtime call) only when s has an upper-case ASCII letter or is
 * not ASCII (media types and subscription states are mostly lower case already).
 */
export function lowerAscii(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c > 127) return s.toLowerCase();
  }
  return s;
}
