// Server frames (RFC 6455 section 5.2): never masked; 7-, 16- or 64-bit
// lengths. The payload goes after the header as it is, uncopied.

import { CloseCode, Frame } from '../protocol';

/** No bytes (one shared instance: nothing can change it). */
export var EMPTY = new Uint8Array(0);

/** Header sizes: with a 7-bit length, with a 16-bit one, and the longest,
 *  with a 64-bit one. */
export var HEADER_7 = 2;
var HEADER_16 = 4;
export var MAX_HEADER = 10;

/** The header of one frame carrying `length` payload bytes. */
export function frameHeader(fin: boolean, opcode: number, length: number): Uint8Array {
  'ram if full';
  var n = length < Frame.LENGTH_16 ? HEADER_7 : length < Frame.LENGTH_16_LIMIT ? HEADER_16 : MAX_HEADER, h = new Uint8Array(n);
  h[0] = (fin ? Frame.FIN : 0) | opcode;
  h[1] = n < HEADER_16 ? length : n < MAX_HEADER ? Frame.LENGTH_16 : Frame.LENGTH_64;
  // The extended length, big-endian; built in floating point, since lengths
  // may pass 2^32 (no 32-bit shifts).
  while (n > HEADER_7) {
    h[--n] = length % 256;
    length = Math.floor(length / 256);
  }
  return h;
}

/** A close frame's payload: the code, big-endian, then the reason bytes;
 *  empty for CloseCode.NO_STATUS. */
export function closePayload(code: number, reason: Uint8Array): Uint8Array {
  'rarely run';
  if (code == CloseCode.NO_STATUS) return EMPTY;
  var p = new Uint8Array(2 + reason.length);
  p[0] = code >> 8;
  p[1] = code & 255;
  p.set(reason, 2);
  return p;
}
