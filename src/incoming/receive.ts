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
import { parseFrames, HEADER } from './frames';
import { TEXT, BINARY, CloseCode, Frame } from '../protocol';
import { unmask } from './mask';
import { utf8Valid, asciiEnd } from './utf8';
import { toValue } from '../message-types';
import { EXTRAS } from '../features';

/** Bytes of a client frame's header, its mask key included: with a 7-bit
 *  length, and with a 16-bit one. */
var MASKED_HEADER_7 = 6, MASKED_HEADER_16 = 8;

/** Takes a chunk. It is unmasked in place, and views of it may be delivered
 *  as messages: the caller must not reuse it. Reads its frames until its end
 *  or until the connection closes (a protocol error, or the peer's close
 *  frame). Never throws: should the core throw (a bug, or a board out of
 *  memory), it costs this connection only. */
export function receive(s: Connection, b: Uint8Array): void {
  'ram if full';
  var n = b.length, i = 0, x, length, at, end, binary, value, listener;
  try {
    if (s._head && s._state == CONNECTING) return readHandshake(s, b);
    // A final, masked text or binary frame with a 7- or 16-bit length, all
    // of it in this chunk, between messages. (Inside a frame or a message,
    // the general parser takes the chunk at once.)
    while (s._frameState == HEADER && !s._messageOp && s._state == OPEN && n - i >= MASKED_HEADER_7) {
      x = b[i];
      // (Without the MASK bit, the length is over 127: the general parser fails it.)
      length = b[i + 1] ^ Frame.MASKED;
      at = i + MASKED_HEADER_7;
      if ((x != (Frame.FIN | TEXT) && x != (Frame.FIN | BINARY)) || length >= Frame.LENGTH_64) break;
      if (length == Frame.LENGTH_16) {
        length = (b[i + 2] << 8) | b[i + 3];
        at = i + MASKED_HEADER_16;
      }
      end = at + length;
      if (end > n || length > s._options._maxPayload) break;
      // The mask key: the header's last 4 bytes, which unmasking the payload
      // after them leaves as they are. (A view of them, not a copy: one
      // native call instead of four interpreted statements.)
      unmask(b, at, end, b.subarray(at - Frame.MASK_KEY_BYTES, at), 0);
      binary = x == (Frame.FIN | BINARY);
      if (!binary && (x = asciiEnd(b, at, end)) < end && utf8Valid(0, b, x, end)) return fail(s, CloseCode.INVALID_PAYLOAD);
      i = end;
      if (EXTRAS) {
        s._received++;
        s._lastMessageAt = Date.now();
      }
      value = toValue(s._options._receiveType, b.subarray(at, end), binary);
      // One 'message' listener, what apps have, is called here, not through
      // emit(): on a board a call less per message, and a call's scope less
      // held while the listener runs. As emit() does, what it throws goes to
      // 'error' (see emitter.ts).
      listener = s._ev.message;
      if (typeof listener != 'function') s.emit('message', value, binary);
      else {
        try {
          listener.call(s, value, binary);
        } catch (e) {
          (s._errorsTo || s).emit('error', e);
        }
      }
    }
    if (i < n) parseFrames(s, b, i);
  } catch (e) {
    lost(s, e);
  }
}
