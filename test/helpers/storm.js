// Misbehaving clients for the small-board tests: each one connects again
// and again until stopped, races for a free connection slot, and once it
// has one, misbehaves in its own way. What the server answers is counted.
//
//   flood    sends 512-byte binary frames as fast as it can, never reads
//   pings    sends pings as fast as it can, never reads
//   claim    announces a 1 MB frame, then sends a little of it
//   stall    sends half a request head, then nothing
//   vanish   sends half a frame, then resets the connection
'use strict';
const net = require('net');
const crypto = require('crypto');

const KINDS = ['flood', 'pings', 'claim', 'stall', 'vanish'];

/** A masked client frame; `claim` announces another length than the payload's. */
function frame(opcode, payload, claim) {
  const len = claim === undefined ? payload.length : claim;
  let head;
  if (len < 126) head = Buffer.from([0x80 | opcode, 0x80 | len]);
  else if (len < 65536) head = Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 255]);
  else {
    head = Buffer.alloc(10);
    head[0] = 0x80 | opcode;
    head[1] = 0x80 | 127;
    head.writeUInt32BE(len, 6);
  }
  const key = crypto.randomBytes(4), body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([head, key, body]);
}

function requestHead() {
  return 'GET / HTTP/1.1\r\nHost: board\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ' +
    crypto.randomBytes(16).toString('base64') + '\r\nSec-WebSocket-Version: 13\r\n\r\n';
}

/**
 * Starts `count` clients of the given kinds (cycled) against port. Returns
 * { stats, stop() }: stats.connects, stats.upgraded (by kind), stats.refused
 * (HTTP statuses), stats.closedBeforeResponse (connections the server
 * closed before answering), stats.closeCodes (close frames the server sent).
 */
function storm(port, count, kinds) {
  const list = kinds || KINDS;
  const stats = { connects: 0, upgraded: {}, refused: {}, closedBeforeResponse: 0, closeCodes: {} };
  let stopping = false;
  const runs = [], live = new Set();
  for (let i = 0; i < count; i++) runs.push(loop(list[i % list.length]));

  async function loop(kind) {
    while (!stopping) await once(kind);
  }

  /** One connection, until it ends. */
  function once(kind) {
    return new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      let head = Buffer.alloc(0), upgraded = false, answered = false, frames = Buffer.alloc(0);
      stats.connects++;
      live.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        live.delete(s);
        if (!answered && !stopping) stats.closedBeforeResponse++;
        setImmediate(resolve);
      });
      s.on('connect', () => {
        if (stopping) return s.destroy();
        s.write(kind == 'stall' ? requestHead().slice(0, 40) : requestHead());
      });
      s.on('data', (d) => {
        if (upgraded) {
          // Close frames the server sends (only clients that read see them).
          frames = Buffer.concat([frames, d]);
          while (frames.length >= 2 && (frames[1] & 0x7f) < 126 && frames.length >= 2 + (frames[1] & 0x7f)) {
            const n = frames[1] & 0x7f;
            if ((frames[0] & 15) == 8 && n >= 2) {
              const code = frames.readUInt16BE(2);
              stats.closeCodes[code] = (stats.closeCodes[code] || 0) + 1;
            }
            frames = frames.subarray(2 + n);
          }
          return;
        }
        head = Buffer.concat([head, d]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        answered = true;
        const status = Number(head.toString('latin1', 9, 12));
        if (status != 101) {
          stats.refused[status] = (stats.refused[status] || 0) + 1;
          return s.destroy();
        }
        upgraded = true;
        stats.upgraded[kind] = (stats.upgraded[kind] || 0) + 1;
        misbehave(s, kind);
      });
    });
  }

  function misbehave(s, kind) {
    if (kind == 'flood' || kind == 'pings') {
      // Never reads: the server's output backs up.
      s.pause();
      const f = kind == 'flood' ? frame(2, Buffer.alloc(512, 1)) : frame(9, Buffer.alloc(125, 2));
      const pump = () => {
        while (!stopping && s.writable && s.write(f));
        if (stopping) s.destroy();
      };
      s.on('drain', pump);
      pump();
    } else if (kind == 'claim') {
      s.write(frame(2, Buffer.alloc(100, 3), 1 << 20));
    } else if (kind == 'vanish') {
      s.write(frame(2, Buffer.alloc(200, 4), 500), () => s.resetAndDestroy());
    }
    // 'stall' sent half a head already, and 'claim' waits for the rest of
    // its frame: both end when the server ends them, or at stop().
  }

  return {
    stats,
    /** Ends every client; resolves once all are gone. */
    stop() {
      stopping = true;
      for (const s of live) s.destroy();
      return Promise.all(runs);
    }
  };
}

module.exports = { storm, KINDS };
