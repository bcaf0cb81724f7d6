// Frames to messages (RFC 6455 sections 5 and 6.2). The parser is
// byte-incremental: its whole state is a few numbers and the mask, so a
// frame may be split at any byte. Payload bytes are unmasked in place and
// kept as views of the caller's chunk where they can be: a message that
// comes whole in one frame and one chunk is delivered without a copy.
//
// This is the general parser, for frames of any kind and size, split
// anywhere. The frames most apps get all day (whole, short, unfragmented
// messages, each inside one chunk) are read by receive() instead (see
// receive.ts): on Espruino the cost of a call grows with the length of the
// function's text, all of it, taken branches or not (the interpreter reads
// its way past the code it skips, and to the end of the function after a
// return), and code in Storage is read from flash. So the common case never
// reads this long function (docs/design.md).

import { Connection, OPEN, CLOSED } from '../record';
import { host, made, VALID_UTF8 } from '../host';
import { fail } from '../connection';
import { enqueue } from '../outgoing/send-queue';
import { closePayload, EMPTY } from '../outgoing/frame-header';
import { TEXT, BINARY, CLOSE, PING, PONG, CloseCode, Frame } from '../protocol';
import { arm, PING_DUE, CLOSE_DUE } from '../timers';
import { unmask } from './mask';
import { utf8Valid } from './utf8';
import { toValue } from '../message-types';
import { EXTRAS, NATIVE } from '../features';

/** Where in a frame the parser is (_frameState). */
export var HEADER = 0, LENGTH = 1, EXTENDED_LENGTH = 2, MASK_KEY = 3, PAYLOAD = 4;

/** The first buffer of a message that does not come whole in one chunk
 *  holds up to this many bytes; a longer one grows as its bytes arrive, by
 *  doubling. So a peer that announces a large frame and sends little costs
 *  little: a declared length is a claim, not bytes. (The board defaults for
 *  maxPayload are below it: there a message's buffer is made once.) */
export var FIRST_BUFFER = 16384;

/** The general parser: any frame, split anywhere, from b[i..]. */
export function parseFrames(s: Connection, b: Uint8Array, i: number): void {
  var n = b.length, st, x, op, end, total, max, buf, data, code, reason;
  for (;;) {
    if (s._state == CLOSED) return;
    st = s._frameState;

    // ---- payload: unmasked in place; control payloads kept apart ----
    if (st == PAYLOAD) {
      end = i + s._frameLeft > n ? n : i + s._frameLeft;
      s._maskPhase = unmask(b, i, end, s._mask!, s._maskPhase);
      // (Where in the frame this piece goes.)
      x = s._frameLength - s._frameLeft;
      s._frameLeft -= end - i;
      if (end == i) {
        // No payload here: an empty frame, or its end comes with the next chunk.
      } else if (s._frameHead & Frame.CONTROL) {
        s._control!.set(b.subarray(i, end), x);
      } else if (s._messageOp == TEXT && (s._utf8 = utf8Valid(s._utf8, b, i, end)) < 0) return fail(s, CloseCode.INVALID_PAYLOAD);
      else if (s._messageCap) {
        // A buffer that grows, by doubling, with the bytes that arrive.
        total = s._messageLength + end - i;
        buf = s._messageBuf;
        if (!buf || buf.length < total) {
          buf = new Uint8Array(Math.max(total, Math.min(buf ? 2 * s._messageLength : FIRST_BUFFER, s._messageCap)));
          if (s._messageBuf) buf.set(s._messageBuf.subarray(0, s._messageLength));
          s._messageBuf = buf;
        }
        buf.set(b.subarray(i, end), s._messageLength);
        s._messageLength = total;
      } else {
        s._messageBuf = b.subarray(i, end);
        s._messageLength += end - i;
      }
      i = end;
      if (s._frameLeft) return;

      // ---- the frame is complete ----
      s._frameState = HEADER;
      op = s._frameHead & Frame.OPCODE_BITS;
      data = s._control!;
      s._control = undefined;
      if (op == PING) {
        if (s._state == OPEN) enqueue(s, PONG, data);
      } else if (op == PONG) {
        // An answer: the heartbeat starts again (timers.ts).
        if (s._state == OPEN) arm(s, PING_DUE);
        if (EXTRAS) s.emit('pong', data);
      } else if (op == CLOSE) {
        code = data.length ? (data[0] << 8) | data[1] : CloseCode.NO_STATUS;
        reason = data.subarray(2);
        // Codes allowed on the wire: RFC 6455 section 7.4 and the IANA
        // registry (1000-1003 and 1007-1014 defined, not 1004-1006, which
        // are reserved or never sent).
        if (data.length == 1 || (data.length && !((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
            (code >= CloseCode.FIRST_APPLICATION && code <= CloseCode.LAST_APPLICATION)))) {
          return fail(s, CloseCode.PROTOCOL_ERROR, 'bad close code');
        }
        if (utf8Valid(0, reason, 0, reason.length)) return fail(s, CloseCode.INVALID_PAYLOAD);
        s._closeCode = code;
        s._closeReason = made(NATIVE ? host._text(reason, VALID_UTF8) : host._text(reason));
        // Answer a close with a close (echoing the code), unless ours went
        // first. Either way the TCP connection can now end (the server ends
        // it first, RFC 6455 section 7.1.1).
        x = s._state;
        s._state = CLOSED;
        arm(s, CLOSE_DUE);
        if (x == OPEN) enqueue(s, CLOSE, closePayload(code, EMPTY));
        else host._kick(s);
        return;
      } else if (s._frameHead & Frame.FIN) {
        // The last frame of a message.
        op = s._messageOp;
        if (op == TEXT && s._utf8) return fail(s, CloseCode.INVALID_PAYLOAD);
        data = toValue(s._options._receiveType, s._messageBuf ? s._messageBuf.subarray(0, s._messageLength) : EMPTY, op == BINARY);
        s._messageOp = s._messageLength = s._messageCap = 0;
        // Text is a string now: its buffer is let go before the handler
        // runs, which on a board is the memory the handler has to work with.
        s._messageBuf = buf = undefined;
        if (EXTRAS) {
          s._received++;
          s._lastMessageAt = Date.now();
        }
        s.emit('message', data, op == BINARY);
      }
      continue;
    }
    if (i == n) return;

    // ---- the header, byte by byte: the first byte ----
    if (st == HEADER) {
      x = s._frameHead = b[i++];
      if (x & Frame.RSV_BITS) return fail(s, CloseCode.PROTOCOL_ERROR, 'RSV bits set');
      x &= Frame.OPCODE_BITS;
      if ((x > BINARY && x < CLOSE) || x > PONG) return fail(s, CloseCode.PROTOCOL_ERROR, 'bad opcode');
      if (x & Frame.CONTROL && !(s._frameHead & Frame.FIN)) return fail(s, CloseCode.PROTOCOL_ERROR, 'fragmented control frame');
      st = s._frameState = LENGTH;
      if (i == n) return;
    }

    // ---- the second: MASK and the length ----
    if (st == LENGTH) {
      x = b[i++];
      if (!(x & Frame.MASKED)) return fail(s, CloseCode.PROTOCOL_ERROR, 'unmasked frame');
      x &= Frame.LENGTH_BITS;
      if (x > Frame.MAX_CONTROL_PAYLOAD && s._frameHead & Frame.CONTROL) return fail(s, CloseCode.PROTOCOL_ERROR, 'control frame over 125 bytes');
      s._frameLength = x < Frame.LENGTH_16 ? x : 0;
      // (Bytes still to come: the mask key's, or the extended length's.)
      s._need = x < Frame.LENGTH_16 ? Frame.MASK_KEY_BYTES : x == Frame.LENGTH_16 ? Frame.LENGTH_16_BYTES : Frame.LENGTH_64_BYTES;
      st = s._frameState = x < Frame.LENGTH_16 ? MASK_KEY : EXTENDED_LENGTH;
      if (i == n) return;
    }

    // ---- the extended length, big-endian, built in floating point (no
    // 32-bit shifts) ----
    if (st == EXTENDED_LENGTH) {
      while (i < n && s._need) {
        x = b[i++];
        // (The 64-bit length's most significant bit must be 0.)
        if (s._need == Frame.LENGTH_64_BYTES && x & 0x80) return fail(s, CloseCode.PROTOCOL_ERROR, 'length over 2^63');
        s._frameLength = s._frameLength * 256 + x;
        s._need--;
      }
      if (s._need) return;
      s._need = Frame.MASK_KEY_BYTES;
      st = s._frameState = MASK_KEY;
    }

    // ---- the mask key, then the frame's checks ----
    if (st == MASK_KEY) {
      // (Made at the first frame that comes here: receive() unmasks the
      // short frames with the key where it lies in the chunk.)
      if (!s._mask) s._mask = new Uint8Array(Frame.MASK_KEY_BYTES);
      while (i < n && s._need) s._mask[Frame.MASK_KEY_BYTES - s._need--] = b[i++];
      if (s._need) return;
      x = s._frameLeft = s._frameLength;
      s._maskPhase = 0;
      s._frameState = PAYLOAD;
      op = s._frameHead & Frame.OPCODE_BITS;
      if (op & Frame.CONTROL) {
        s._control = new Uint8Array(x);
        continue;
      }
      // Fragmentation (RFC 6455 section 5.4): a new message only between
      // messages, a continuation only inside one.
      if (!op == !s._messageOp) return fail(s, CloseCode.PROTOCOL_ERROR, op ? 'expected a continuation' : 'nothing to continue');
      if (op) {
        s._messageOp = op;
        s._messageLength = s._fragments = s._utf8 = 0;
        s._messageBuf = undefined;
      }
      total = s._messageLength + x;
      max = s._options._maxPayload;
      // maxPayload is checked from the header, before any byte is stored.
      if (total > max) return fail(s, CloseCode.MESSAGE_TOO_BIG, 'message over ' + max + ' bytes');
      if (EXTRAS && ++s._fragments > s._options._maxFragments) return fail(s, CloseCode.MESSAGE_TOO_BIG, 'message in over ' + s._options._maxFragments + ' frames');
      // A view of the chunk for a whole message in one frame in this chunk;
      // otherwise a buffer that may grow to the message's length for a
      // final frame, else to max.
      s._messageCap = s._messageBuf || !(s._frameHead & Frame.FIN) || n - i < x || s._messageLength ? (s._frameHead & Frame.FIN ? total : max) : 0;
    }
  }
}
