// XOR-unmasking of client payloads, in place. Per-byte work is the costliest
// thing an interpreter like Espruino does, so aligned runs are done a 32-bit
// word at a time (4x fewer interpreted steps), and only the ragged ends byte
// by byte. Endianness does not matter: the mask word is read through the same
// kind of view as the data.

// On Espruino each pass of a loop costs in proportion to how far the loop
// starts into its function's text (the interpreter reads its way back there
// from the function's start, from flash for a module in Storage), so the
// loop over the words is a function of its own, and starts at once. Both
// functions are kept in RAM ('ram': see docs/design.md, Code in RAM).
// A host with native code for it (Node) unmasks long runs itself (host.ts;
// not on Espruino: features.ts); the check comes after the first loop,
// which it would otherwise slow.

import { host, NATIVE_RUN } from '../host';
import { NATIVE } from '../features';

/** 1 where a 32-bit word keeps its lowest byte first in memory (every
 *  Espruino board, and Node on x86 and ARM): the mask word is built in
 *  arithmetic, for that order or the other (no typed arrays kept for it,
 *  which on a board would hold memory for as long as the module is loaded).
 *  (Found with a Uint32Array, which the words are XORed through anyway: on
 *  Espruino the first use of a built-in class gives it an entry of about 10
 *  blocks in the interpreter's root, a second class would cost as much.) */
var LOW_BYTE_FIRST = new Uint8Array(new Uint32Array([1]).buffer)[0];

/**
 * Unmasks b[i..end) with the 4-byte mask, starting at mask position `phase`.
 * Returns the mask position after the last byte, for the next piece.
 */
export function unmask(b: Uint8Array, i: number, end: number, mask: Uint8Array, phase: number): number {
  'ram';
  // Byte by byte: all of a short run; of a long one, up to its first word.
  while (i < end && (end - i < 32 || (b.byteOffset + i) & 3)) b[i++] ^= mask[phase++ & 3];
  if (i < end) {
    if (NATIVE && end - i > NATIVE_RUN && host._unmask) {
      host._unmask(b, i, end, mask, phase);
      return (phase + end - i) & 3;
    }
    // The mask's bytes from this phase on, in the order a word's bytes have
    // in memory.
    var words = (end - i) >> 2, key0 = mask[phase & 3], key1 = mask[(phase + 1) & 3], key2 = mask[(phase + 2) & 3], key3 = mask[(phase + 3) & 3];
    xorWords(new Uint32Array(b.buffer, b.byteOffset + i, words),
      LOW_BYTE_FIRST ? key0 | key1 << 8 | key2 << 16 | key3 << 24 : key3 | key2 << 8 | key1 << 16 | key0 << 24, words);
    i += words << 2;
    // The last bytes, fewer than four.
    while (i < end) b[i++] ^= mask[phase++ & 3];
  }
  return phase & 3;
}

/** XORs the first n words of w with m. */
function xorWords(w: Uint32Array, m: number, n: number): void {
  'ram';
  while (n) w[--n] ^= m;
}
