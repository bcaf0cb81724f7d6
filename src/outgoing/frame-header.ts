// Server frames (RFC 6455 section 5.2): never masked; 7-, 16- or 64-bit
// lengths. The payload goes after the header as it is, uncopied.

/** Opcodes. */
export var CONTINUATION = 0, TEXT = 1, BINARY = 2, CLOSE = 8, PING = 9, PONG = 10;

/** No bytes (one shared instance: nothing can change it). */
export var EMPTY = new Uint8Array(0);

/** The longest header: a 64-bit length. */
export var MAX_HEADER = 10;

/** The header of one frame carrying `length` payload bytes. */
export function frameHeader(fin: boolean, opcode: number, length: number): Uint8Array {
  'ram if full';
  var n = length < 126 ? 2 : length < 65536 ? 4 : 10, h = new Uint8Array(n);
  h[0] = (fin ? 0x80 : 0) | opcode;
  h[1] = n < 4 ? length : n < 10 ? 126 : 127;
  // The extended length, big-endian; built in floating point, since lengths
  // may pass 2^32 (no 32-bit shifts).
  while (n > 2) {
    h[--n] = length % 256;
    length = Math.floor(length / 256);
  }
  return h;
}

/** A close frame's payload: the code, big-endian, then the reason bytes;
 *  empty for 1005 (no status code). */
export function closePayload(code: number, reason: Uint8Array): Uint8Array {
  'rarely run';
  if (code == 1005) return EMPTY;
  var p = new Uint8Array(2 + reason.length);
  p[0] = code >> 8;
  p[1] = code & 255;
  p.set(reason, 2);
  return p;
}
