// Bytes from the peer, as the target hands them over: the request head
// until the handshake is over, then frames.

import { Connection, CONNECTING } from '../record';
import { lost } from '../connection';
import { readHandshake } from './handshake';
import { readFrames, parseFrames } from './frames';

/** Takes a chunk. It is unmasked in place, and views of it may be delivered
 *  as messages: the caller must not reuse it. Never throws: should the core
 *  throw (a bug, or a board out of memory), it costs this connection only. */
export function receive(s: Connection, b: Uint8Array): void {
  'ram if full';
  try {
    if (s._head && s._state == CONNECTING) readHandshake(s, b);
    // Inside a frame or a message, the short way could not take it: the
    // general parser at once (see frames.ts).
    else if (s._frameState || s._messageOp) parseFrames(s, b, 0);
    else readFrames(s, b, 0);
  } catch (e) {
    lost(s, e);
  }
}
