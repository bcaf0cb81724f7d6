// RFC 6455's numbers: the opcodes, the bits and lengths of a frame's header,
// and the close codes.
//
// The opcodes are variables, which the minifier replaces by their one-digit
// values. The others are const enums, whose values TypeScript itself writes
// where they are used: the minifier would keep a value of several digits
// used in many places (1002, 0x80) as a module-level variable, which on a
// board takes blocks for as long as the module is loaded, and a name looked
// up at every use.

/** Opcodes (section 5.2). Those from CLOSE up are control frames (their
 *  Frame.CONTROL bit is set). */
export var CONTINUATION = 0, TEXT = 1, BINARY = 2, CLOSE = 8, PING = 9, PONG = 10;

export const enum Frame {
  // The first byte: FIN, the three RSV bits (no extension is negotiated, so
  // they must be 0), the opcode, whose CONTROL bit marks a control frame.
  FIN = 0x80,
  RSV_BITS = 0x70,
  OPCODE_BITS = 0x0f,
  CONTROL = 8,
  // The second byte: the MASK bit and a 7-bit length; LENGTH_16 and
  // LENGTH_64 say that a 16-bit or a 64-bit length follows.
  MASKED = 0x80,
  LENGTH_BITS = 0x7f,
  LENGTH_16 = 126,
  LENGTH_64 = 127,
  /** The first length that a 16-bit length cannot hold. */
  LENGTH_16_LIMIT = 65536,
  /** Bytes of the extended lengths, and of a masking key. */
  LENGTH_16_BYTES = 2,
  LENGTH_64_BYTES = 8,
  MASK_KEY_BYTES = 4,
  /** The longest payload of a control frame (section 5.5). */
  MAX_CONTROL_PAYLOAD = 125
}

/** Close codes (section 7.4.1). NO_STATUS (the peer's close frame had no
 *  code) and ABNORMAL_CLOSURE (there was no close frame) are never sent;
 *  the 'close' event reports them. FIRST_APPLICATION to LAST_APPLICATION:
 *  the codes an application may choose (3000-3999 registered with IANA,
 *  4000-4999 private). */
export const enum CloseCode {
  NORMAL_CLOSURE = 1000,
  GOING_AWAY = 1001,
  PROTOCOL_ERROR = 1002,
  NO_STATUS = 1005,
  ABNORMAL_CLOSURE = 1006,
  INVALID_PAYLOAD = 1007,
  MESSAGE_TOO_BIG = 1009,
  INTERNAL_ERROR = 1011,
  TRY_AGAIN_LATER = 1013,
  FIRST_APPLICATION = 3000,
  LAST_APPLICATION = 4999
}
