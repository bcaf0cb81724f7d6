// Conversion between messages on the wire and values in JavaScript, by MIME
// type (the Accessors web-socket-server v2 contract).
//
// Receive: binary frames always arrive as Uint8Array. Text frames arrive as
//   application/json          the parsed value, or the string if it is not JSON
//   text/* (text/plain, ...)  the string
//   application/octet-stream  Uint8Array (its UTF-8 bytes)
// Send: binary data (Uint8Array, ArrayBuffer, any typed array or DataView)
//   always goes out as a binary frame, byte for byte (the callers of toWire
//   say which frame: see socket.ts's send()). Anything else becomes
//   text: JSON.stringify for application/json, String() for text/*, and for
//   application/octet-stream a string as it is, other values as JSON; it goes
//   out as a text frame, or as a binary frame for application/octet-stream or
//   when send() is given { binary: true }.

import { host, made, VALID_UTF8 } from './host';
import { NATIVE } from './features';
import { Wire, Conversion } from './record';

/** The types for receiveType, and the same for sendType (one function
 *  under both names: a variable for the second would take memory on a
 *  board), in the order of their Conversion (record.ts); any other text/*
 *  type converts as text/plain. Their strings are written here only: the
 *  options keep a type's Conversion. */
export function supportedReceiveTypes(): string[] {
  return ['application/json', 'text/plain', 'application/octet-stream'];
}

export { supportedReceiveTypes as supportedSendTypes };

/** The bytes of binary data, as a Uint8Array view; null for anything else. */
export function binaryView(v: any): Uint8Array | null {
  'ram if full';
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (v && v.buffer instanceof ArrayBuffer && typeof v.byteLength == 'number') {
    return new Uint8Array(v.buffer, v.byteOffset || 0, v.byteLength);
  }
  return null;
}

/** Text longer than this is queued as bytes even where strings are bytes:
 *  Espruino finds a piece of a block-chained string by walking from its
 *  start, so cutting a long one into pieces would take time that grows with
 *  the square of its length (64 KiB echoes 7% slower than with the copy). */
var LONGEST_RAW_TEXT = 16384;

/** The bytes to send for a value: binary data as it is (a view, not a
 *  copy); anything else as the UTF-8 bytes of its text, which where strings
 *  are bytes is the text itself. Throws NO_MEMORY where the board has no
 *  memory for them. */
export function toWire(type: Conversion, v: any): Wire {
  'ram if full';
  var bytes, text;
  // (Strings first: they are most of what is sent.)
  if (typeof v == 'string' && type != Conversion.JSON) text = v;
  else if ((bytes = binaryView(v))) return bytes;
  else if (type == Conversion.TEXT) text = String(v);
  else text = JSON.stringify(v);
  if (text === undefined) text = 'null';
  return host._raw && text.length <= LONGEST_RAW_TEXT ? host._raw(text) : made(host._bytes(text));
}

/** The value to deliver for a received message. */
export function toValue(type: Conversion, data: Uint8Array, binary: boolean): any {
  'ram if full';
  if (binary || type == Conversion.OCTETS) return data;
  var s = made(NATIVE ? host._text(data, VALID_UTF8) : host._text(data));
  if (type != Conversion.JSON) return s;
  try {
    return JSON.parse(s);
  } catch (e) {
    return s;
  }
}
