// Bytes from the peer, as the target hands them over: the request head
// until the handshake is over, then frames. The frames most apps get all day
// (whole, short, unfragmented messages, each inside one chunk) are read right
// here, each delivered as a view of the chunk; anything else goes to the
// general parser (frames.ts), which the common case then never reads. Here,
// not in a function of its own: on a board that is a call less per chunk,
// and a function less held for as long as the module is loaded
// (docs/design.md).

import { Connection, CONNECTING, OPEN } from '../record';
import { fail, lost } from '../connection';
import { readHandshake } from './handshake';
import { parseFrames, HEADER, FIN, MASKED, LENGTH_16, LENGTH_64, INVALID } from './frames';
import { TEXT, BINARY } from '../outgoing/frame-header';
import { unmask } from './mask';
import { utf8Valid, asciiEnd } from './utf8';
import { toValue } from '../message-types';
import { EXTRAS } from '../features';

/** Takes a chunk. It is unmasked in place, and views of it may be delivered
 *  as messages: the caller must not reuse it. Reads its frames until its end
 *  or until the connection closes (a protocol error, or the peer's close
 *  frame). Never throws: should the core throw (a bug, or a board out of
 *  memory), it costs this connection only. */
export function receive(s: Connection, b: Uint8Array): void {
  'ram if full';
  var n = b.length, i = 0, x, length, at, end, m = s._mask, binary;
  try {
    if (s._head && s._state == CONNECTING) return readHandshake(s, b);
    // A final, masked text or binary frame with a 7- or 16-bit length, all
    // of it in this chunk, between messages. (Inside a frame or a message,
    // the general parser takes the chunk at once.)
    while (s._frameState == HEADER && !s._messageOp && s._state == OPEN && n - i > 5) {
      x = b[i];
      // (Without the MASK bit, the length is over 127: the general parser fails it.)
      length = b[i + 1] ^ MASKED;
      at = i + 6;
      if ((x != (FIN | TEXT) && x != (FIN | BINARY)) || length >= LENGTH_64) break;
      if (length == LENGTH_16) {
        length = (b[i + 2] << 8) | b[i + 3];
        at = i + 8;
      }
      end = at + length;
      if (end > n || length > s._options._maxPayload) break;
      m[0] = b[at - 4];
      m[1] = b[at - 3];
      m[2] = b[at - 2];
      m[3] = b[at - 1];
      unmask(b, at, end, m, 0);
      binary = x == (FIN | BINARY);
      if (!binary && (x = asciiEnd(b, at, end)) < end && utf8Valid(0, b, x, end)) return fail(s, 1007, INVALID);
      i = end;
      if (EXTRAS) {
        s._received++;
        s._lastMessageAt = Date.now();
      }
      s.emit('message', toValue(s._options._receiveType, b.subarray(at, end), binary), binary);
    }
    if (i < n) parseFrames(s, b, i);
  } catch (e) {
    lost(s, e);
  }
}
