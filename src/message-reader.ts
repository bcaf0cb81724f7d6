// Turns frames into messages: checks the fragmentation rules, enforces
// maxPayload before any byte is stored, validates text as it arrives, and
// collects control frames. A message that fits in one frame and one chunk is
// delivered as a view of that chunk, without a copy.

import { FrameSink } from './frame-parser';
import { Utf8State, utf8Valid } from './utf8';

/** _message and _control return false to stop reading (the connection closed). */
export interface MessageSink {
  _message(data: Uint8Array, binary: boolean): boolean;
  _control(opcode: number, payload: Uint8Array): boolean;
  _fail(code: number, message: string): void;
}

/** @param max largest message in bytes; @param maxFrags most frames per message. */
export function messageReader(sink: MessageSink, max: number, maxFrags: number): FrameSink {
  // op: opcode of the message being read (0 none, 1 text, 2 binary);
  // frameOp: of the current frame. buf/len: the message so far, or view: the
  // whole message as a view of the chunk. ctl/ctlLen: a control frame's
  // payload, kept apart since control frames may come between fragments.
  // frags: frames of the current message so far.
  var op = 0, frameOp = 0, fin = false, len = 0, ctlLen = 0, frags = 0;
  var buf: Uint8Array | null = null, view: Uint8Array | null = null, ctl: Uint8Array | null = null;
  var utf8 = new Utf8State();

  function fail(code: number, message: string): boolean {
    buf = view = ctl = null;
    sink._fail(code, message);
    return false;
  }

  return {
    _frameStart: function (f, o, length, whole) {
      frameOp = o;
      if (o > 7) {
        ctl = new Uint8Array(length);
        ctlLen = 0;
        return true;
      }
      if (!o) {
        if (!op) return fail(1002, 'nothing to continue');
      } else {
        if (op) return fail(1002, 'expected a continuation');
        op = o;
        len = frags = 0;
        buf = view = null;
        utf8.n = 0;
      }
      fin = f;
      var total = len + length;
      if (total > max) return fail(1009, 'message over ' + max + ' bytes');
      if (++frags > maxFrags) return fail(1009, 'message in over ' + maxFrags + ' frames');
      if (!buf ? !fin || !whole || len : buf.length < total) {
        // Exactly the size needed for a final frame; otherwise doubled (up to
        // max), so that many fragments cost O(n) copying.
        var grown = new Uint8Array(fin || !buf ? total : Math.max(total, Math.min(buf.length * 2, max)));
        if (buf) grown.set(buf.subarray(0, len));
        buf = grown;
      }
      return true;
    },

    _frameData: function (b, start, end) {
      var part = b.subarray(start, end);
      if (frameOp > 7) {
        ctl!.set(part, ctlLen);
        ctlLen += end - start;
        return true;
      }
      if (op == 1 && !utf8Valid(utf8, b, start, end)) return fail(1007, 'invalid UTF-8');
      if (buf) buf.set(part, len);
      else view = part;
      len += end - start;
      return true;
    },

    _frameEnd: function () {
      var data = ctl;
      if (frameOp > 7) {
        ctl = null;
        return sink._control(frameOp, data!);
      }
      if (!fin) return true;
      if (op == 1 && utf8.n) return fail(1007, 'invalid UTF-8');
      data = buf ? buf.subarray(0, len) : view || new Uint8Array(0);
      var binary = op == 2;
      op = len = 0;
      buf = view = null;
      return sink._message(data, binary);
    },

    _fail: fail
  };
}
