// Incremental UTF-8 validation (RFC 3629): bytes may arrive in any number of
// pieces, so what one piece leaves for the next is kept in a single number
// (no object per connection): 0 when the piece ended on a character boundary,
// otherwise the continuation bytes still expected (low 2 bits) and the range
// allowed for the next one (lo << 2, hi << 10).

/**
 * Checks bytes b[i..end) against the state left by the previous piece (0 to
 * begin). Returns the state for the next piece, or -1 at the first byte that
 * cannot be valid UTF-8 (fail fast). ASCII is the fast path: runs of it are
 * checked four bytes per step, on aligned 32-bit words (at most one word view
 * per 64 bytes, so text that mixes scripts does not pay for views it cannot use).
 */
export function utf8Valid(state: number, b: Uint8Array, i: number, end: number): number {
  var n = state & 3, lo = (state >> 2) & 255, hi = state >> 10, c, w, j, words, next = i, base = b.byteOffset;
  while (i < end) {
    c = b[i];
    if (n) {
      if (c < lo || c > hi) return -1;
      lo = 0x80; hi = 0xbf; n--;
    } else if (c > 0x7f) {
      lo = 0x80; hi = 0xbf;
      if (c < 0xc2 || c > 0xf4) return -1;
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
  return n && n | (lo << 2) | (hi << 10);
}

