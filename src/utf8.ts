// Incremental UTF-8 validation (RFC 3629): bytes may arrive in any number of
// pieces, so the state between pieces is kept in a small number triple.

/** The validator's state between pieces: continuation bytes still expected and
 *  the range allowed for the next one. */
export class Utf8State {
  n = 0;
  lo = 0x80;
  hi = 0xbf;
}

/**
 * Checks bytes b[i..end) against the state left by the previous piece.
 * Returns false on the first byte that cannot be valid UTF-8 (fail fast).
 * ASCII is the fast path: runs of it are checked four bytes per step, on
 * aligned 32-bit words (at most one word view per 64 bytes, so text that mixes
 * scripts does not pay for views it cannot use).
 */
export function utf8Valid(st: Utf8State, b: Uint8Array, i: number, end: number): boolean {
  var n = st.n, lo = st.lo, hi = st.hi, c, w, j, words, next = i, base = b.byteOffset;
  while (i < end) {
    c = b[i];
    if (n) {
      if (c < lo || c > hi) return false;
      lo = 0x80; hi = 0xbf; n--;
    } else if (c > 0x7f) {
      if (c < 0xc2 || c > 0xf4) return false;
      if (c < 0xe0) n = 1;
      else if (c < 0xf0) {
        n = 2;
        if (c == 0xe0) lo = 0xa0; // no overlong 3-byte forms
        else if (c == 0xed) hi = 0x9f; // no UTF-16 surrogates
      } else {
        n = 3;
        if (c == 0xf0) lo = 0x90; // no overlong 4-byte forms
        else if (c == 0xf4) hi = 0x8f; // nothing above U+10FFFF
      }
    } else if (i >= next && end - i >= 64 && !((base + i) & 3) && base + i < 65536) {
      // (Espruino cannot make a view that starts past byte 65535.)
      words = (end - i) >> 2;
      w = new Uint32Array(b.buffer, base + i, words);
      for (j = 0; j < words && !(w[j] & 0x80808080); j++);
      i += j << 2;
      next = i + 64;
      continue;
    }
    i++;
  }
  st.n = n; st.lo = lo; st.hi = hi;
  return true;
}

/** Whole-buffer check, for close reasons and other complete payloads. */
export function isUtf8(b: Uint8Array): boolean {
  var st = new Utf8State();
  return utf8Valid(st, b, 0, b.length) && !st.n;
}
