// Incremental UTF-8 validation (RFC 3629): bytes may arrive in any number of
// pieces, so what one piece leaves for the next is kept in a single number
// (no object per connection): 0 when the piece ended on a character boundary,
// otherwise the continuation bytes still expected (low 2 bits) and the range
// allowed for the next one (lo << 2, hi << 10).

import { host, NATIVE_RUN, Board } from '../host';
import { NATIVE } from '../features';

/**
 * Checks bytes b[i..end) against the state left by the previous piece (0 to
 * begin). Returns the state for the next piece, or -1 at the first byte that
 * cannot be valid UTF-8 (fail fast). ASCII is the fast path: runs of it are
 * checked four bytes per step, on aligned 32-bit words (at most one word view
 * per 64 bytes, so text that mixes scripts does not pay for views it cannot use).
 */
export function utf8Valid(state: number, b: Uint8Array, i: number, end: number): number {
  var n, lo, hi, c, words, next, base = b.byteOffset;
  if (!state) i = asciiEnd(b, i, end);
  n = state & 3;
  lo = (state >> 2) & 255;
  hi = state >> 10;
  next = i;
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
    } else if (i >= next && end - i >= 8 && !((base + i) & 3) && base + i < Board.VIEW_OFFSET_LIMIT) {
      // (Espruino cannot make a view that starts past byte 65535.)
      words = (end - i) >> 2;
      i += asciiWords(new Uint32Array(b.buffer, base + i, words), words) << 2;
      next = i + 64;
      continue;
    }
    i++;
  }
  return n && n | (lo << 2) | (hi << 10);
}

/** Where the run of ASCII at b[i..end) ends. Byte by byte up to a word
 *  boundary (all of a short run), then by words, then the last bytes; its
 *  loops come first in the function, where they cost least (mask.ts). Text
 *  that is all ASCII, most of what a board gets, needs nothing more than
 *  this. */
export function asciiEnd(b: Uint8Array, i: number, end: number): number {
  'ram';
  while (i < end && b[i] < 0x80 && ((b.byteOffset + i) & 3 || end - i < 8)) i++;
  // (A host with native code checks a long run at once: host.ts.)
  if (NATIVE && end - i > NATIVE_RUN && host._isAscii && host._isAscii(b.subarray(i, end))) return end;
  if (i < end && b[i] < 0x80 && b.byteOffset + i < Board.VIEW_OFFSET_LIMIT) i += asciiWords(new Uint32Array(b.buffer, b.byteOffset + i, (end - i) >> 2), (end - i) >> 2) << 2;
  while (i < end && b[i] < 0x80 && end - i < 4) i++;
  return i;
}

/** How many words of w, from the first, are all ASCII (at most n). A function
 *  of its own, its loop first, kept in RAM like asciiEnd: see mask.ts. */
function asciiWords(w: Uint32Array, n: number): number {
  'ram';
  var j = 0;
  while (j < n && !(w[j] & 0x80808080)) j++;
  return j;
}
