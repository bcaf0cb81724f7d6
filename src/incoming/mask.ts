// XOR-unmasking of client payloads, in place. Per-byte work is the costliest
// thing an interpreter like Espruino does, so aligned runs are done a 32-bit
// word at a time (4x fewer interpreted steps), and only the ragged ends byte
// by byte. Endianness does not matter: the mask word is read through the same
// kind of view as the data.

var word = new Uint8Array(4);
var word32 = new Uint32Array(word.buffer);

/**
 * Unmasks b[i..end) with the 4-byte mask, starting at mask position `phase`.
 * Returns the mask position after the last byte, for the next piece.
 */
export function unmask(b: Uint8Array, i: number, end: number, mask: Uint8Array, phase: number): number {
  var base = b.byteOffset;
  if (end - i >= 32) {
    while ((base + i) & 3) b[i++] ^= mask[phase++ & 3];
    var words = (end - i) >> 2;
    word[0] = mask[phase & 3]; word[1] = mask[(phase + 1) & 3];
    word[2] = mask[(phase + 2) & 3]; word[3] = mask[(phase + 3) & 3];
    var m = word32[0], w = new Uint32Array(b.buffer, base + i, words), j = 0;
    while (j < words) w[j++] ^= m;
    i += words << 2;
  }
  while (i < end) b[i++] ^= mask[phase++ & 3];
  return phase & 3;
}
