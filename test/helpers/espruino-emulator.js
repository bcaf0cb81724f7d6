// A Node-emulated Espruino board (ESP32 or ESP8266) that runs the BUILT bundle
// (dist/espruino/web-socket-server.js), so that real clients such as the `ws`
// package can talk to it over loopback TCP.
//
// How it works
// - The bundle runs in a `vm` context stripped down to what Espruino has: no
//   Buffer, Map, Set, WeakMap, Symbol, Proxy, Reflect, TextEncoder/Decoder,
//   setImmediate, queueMicrotask; no Object.freeze, Array.from,
//   Promise.prototype.finally... Every built-in object keeps only the members
//   Espruino's own jswrap_*.c files define (KEEP_MEMBERS below).
// - A few built-ins are replaced by Espruino's behaviour (8-bit strings,
//   unclamped TypedArray#subarray, TypedArray#slice returning an Array,
//   TypedArray#set truncating, Function#apply limited to 256 arguments), and
//   every object has Espruino's built-in on/emit/removeListener/... methods
//   (emit is asynchronous, at most 4 arguments; on returns undefined).
// - Espruino globals are provided: E, btoa, atob, setTimeout & co (with
//   Espruino's timer ids and clearTimeout(undefined) throwing), console,
//   process (env and a memory() stub), InternalError, global, print, getTime,
//   and require() knowing 'net' and 'crypto'.
// - `net` follows Espruino's socket layer (libs/network/socketserver.c),
//   driven by an "idle loop" pass that the emulator runs with setImmediate
//   whenever there is work: each pass accepts at most one connection per
//   server, then for each socket sends at most one chunk (536 bytes, or 268
//   in ESP8266 mode) and receives at most one chunk, then runs the event
//   queue. Real sockets are Node's, on 127.0.0.1.
//
// Values crossing the boundary: the board's objects come from the vm realm,
// where `instanceof Uint8Array` and prototypes differ from the host's. So
// that tests can treat them as ordinary values:
// - listeners that host code adds to the module's objects (on/addListener)
//   receive host values: typed arrays as host views of the same memory,
//   JSON-like objects and arrays as host copies (Emulator#_openToHost);
// - the board's errors also inherit from the host's Error/TypeError/...
//   prototypes, so `e instanceof TypeError` holds in test code;
// - the board's `instanceof Uint8Array` (and ArrayBuffer, DataView, every
//   typed array) also accepts the host's, so a test can send() a Buffer.
// Other values (e.g. socket.request, or what evaluate() returns) stay board
// values: convert them with toHost() for strict comparisons.
// Strings are 8-bit on these boards: text the bundle receives is a byte
// String (UTF-8 bytes, one char each), and a string handed to the bundle is
// taken byte for byte (char code & 0xFF), as E.toUint8Array does.
//
// For tests: stats() (live sockets, servers, timers, listeners, buffered
// bytes, foreignFields: properties code set on Espruino socket/server
// objects, uncaught exceptions, hazards: typed-array calls that behave
// differently on Espruino, peers: what each open socket's real TCP socket
// has seen of its peer), evaluate(code) in the board's global scope, and on
// the emulator:
// - hold()/release() to let several network events land in one pass, and
//   holdAfterSent(bytes), which holds the idle loop by itself in the pass
//   that takes the bytes sent past `bytes` (a promise, resolved then): so
//   that exactly one chunk goes out, say;
// - writes(): per socket, the size of every write() and end(data), the
//   most bytes already waiting in the send buffer (dSnd) when one was made
//   (maxPending: 0 if each write waited for the buffer to empty, i.e. for
//   'drain') and the most waiting just after one (maxOutstanding);
// - afterTimers(): a promise resolved by a board timer of the shortest
//   interval, so after every board timer of that interval made before it;
// - failNext(name, n = 1, skip = 0), for 'E.toString', 'E.toUint8Array',
//   'E.toFlatString' or 'E.toArrayBuffer': after `skip` more calls that
//   work, the next `n` calls return undefined, as Espruino's
//   jswrap_espruino.c does when it cannot allocate the result even after a
//   garbage collection (E.toString: `if (!str) return 0`).
//
// Not emulated (deviations from Espruino):
// - the interpreter itself: the code runs on V8, so hoisting, automatic
//   semicolons, labels, `for (let ...)` bindings, RegExp limits, JSON.parse
//   quirks, 32-bit integers, speed and memory (JsVars, OUT OF MEMORY) are
//   V8's; process.memory() is a stub and E.getSizeOf an estimate; the
//   bundle is checked for ES5 syntax separately (acorn);
// - non-configurable constants stay (Number.EPSILON, MAX_SAFE_INTEGER...),
//   RegExp and symbol-keyed members are left alone, there is no Uint24Array;
// - E.toString always copies (Espruino may return a typed array's own
//   backing string, which then changes with the array);
// - only 'net' (createServer, no connect/pipe), 'crypto' (hashes), 'Storage'
//   (read and write of whole files; loadBundle's `storage` option fills it)
//   and the bundle itself, as 'web-socket-server', exist;
//   no http, Wifi, no limit on the number of sockets, no Telnet;
// - servers listen on 127.0.0.1 only; listen() wants a number 1-65535 (Espruino
//   would coerce anything) and may not be called twice on a server (Espruino
//   breaks the first port); a port in use is found synchronously through
//   Node's internal TCP binding, else by a (racy) probe from a child process;
// - the idle loop runs only while there is work, and timers are Node timers,
//   so their interleaving with passes differs; "socket writable" is Node's
//   writableNeedDrain (16 KB) on ESP32; the receive window is approximate;
//   sockets use TCP_NODELAY; a socket the board closes sends FIN (end()) and
//   then discards what arrives, where lwIP would answer with RST.
'use strict';
const { freePort } = require('./free-port');

const vm = require('vm');
const net = require('net');
const fs = require('fs');
const nodeCrypto = require('crypto');
const childProcess = require('child_process');
const types = require('util').types;

/** Board settings, from Espruino's board and network driver sources. */
const BOARDS = {
  ESP32: {
    id: 'ESP32',
    // net->chunkSize in libs/network/esp32/network_esp32.c
    chunk: 536,
    // lwIP's receive window: stop reading the real socket beyond this.
    window: 5744,
    // lwIP send() goes ahead whenever select() reports the socket writable.
    oneSendInFlight: false,
    // The ESP32 driver reports every recv/send failure as -1 ("closed").
    resetError: -1,
    hashes: { SHA1: 'sha1', SHA224: 'sha224', SHA256: 'sha256', SHA384: 'sha384', SHA512: 'sha512' },
    memory: { total: 5000, blocksize: 14 }
  },
  ESP8266: {
    id: 'ESP8266_4MB',
    // 536/2 in libs/network/esp8266/network_esp8266.c
    chunk: 268,
    // "up to about 6x536 bytes may need buffering" (EspruinoESP8266.md)
    window: 3216,
    // Only one send per socket is in flight, until the SDK's sent callback.
    oneSendInFlight: true,
    // espconn reports an aborted (reset) connection as SOCKET_ERR_RESET.
    resetError: -9,
    // The ESP8266 4 MB build has SHA1 only.
    hashes: { SHA1: 'sha1' },
    memory: { total: 1600, blocksize: 12 }
  }
};

/** libs/network/socketerrors.c: the message for error code -1, -2, ... */
const SOCKET_ERRORS = ['connection closed', 'out of memory', 'timeout', 'no route', 'busy', 'not found',
  'max sockets', 'unsent data', 'connection reset', 'unknown error', 'no connection', 'bad argument',
  'SSL handshake failed', 'invalid SSL data', 'no response'];
const ERR_CLOSED = -1, ERR_UNSENT_DATA = -8, ERR_UNKNOWN = -10;

const STREAM_MAX_BUFFER_SIZE = 512; // src/jswrap_stream.h
const MAX_EMIT_ARGS = 4; // src/jswrap_object.c, jswrap_object_emit
const JS_MAX_FUNCTION_ARGUMENTS = 256; // src/jsutils.h
const TIMER_MIN_INTERVAL = 0.1; // ms, src/jsinteractive.h

/** The globals of the stripped vm context that Espruino also has. */
const KEEP_GLOBALS = ['Object', 'Function', 'Array', 'Number', 'Boolean', 'String', 'Date', 'Promise',
  'RegExp', 'Error', 'ReferenceError', 'SyntaxError', 'TypeError', 'JSON', 'Math', 'ArrayBuffer',
  'DataView', 'Uint8Array', 'Uint8ClampedArray', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array',
  'Int32Array', 'Float32Array', 'Float64Array', 'parseFloat', 'parseInt', 'isFinite', 'isNaN', 'eval',
  'decodeURIComponent', 'encodeURIComponent', 'Infinity', 'NaN', 'undefined', 'globalThis'];

/** Members each built-in keeps: those that Espruino's jswrap_*.c define.
 *  (Symbol-keyed members are never touched: the engine uses them itself.) */
const KEEP_MEMBERS = {
  Object: ['keys', 'getOwnPropertyNames', 'values', 'entries', 'fromEntries', 'create', 'getOwnPropertyDescriptor',
    'getOwnPropertyDescriptors', 'defineProperty', 'defineProperties', 'getPrototypeOf', 'setPrototypeOf', 'assign'],
  'Object.prototype': ['valueOf', 'toString', 'hasOwnProperty'],
  'Function.prototype': ['call', 'apply', 'bind', 'toString'],
  Array: ['isArray'],
  'Array.prototype': ['toString', 'indexOf', 'includes', 'join', 'push', 'pop', 'map', 'forEach', 'filter', 'find',
    'findIndex', 'some', 'every', 'reduce', 'splice', 'shift', 'unshift', 'slice', 'sort', 'concat', 'fill', 'reverse'],
  String: ['fromCharCode'],
  'String.prototype': ['toString', 'valueOf', 'charAt', 'charCodeAt', 'indexOf', 'lastIndexOf', 'match', 'replace',
    'replaceAll', 'substring', 'substr', 'slice', 'split', 'toLowerCase', 'toUpperCase', 'trim', 'concat',
    'startsWith', 'endsWith', 'includes', 'repeat', 'padStart', 'padEnd'],
  Number: ['NaN', 'MAX_VALUE', 'MIN_VALUE', 'NEGATIVE_INFINITY', 'POSITIVE_INFINITY'],
  'Number.prototype': ['toString', 'valueOf', 'toFixed'],
  Math: ['E', 'PI', 'LN2', 'LN10', 'LOG2E', 'LOG10E', 'SQRT2', 'SQRT1_2', 'abs', 'acos', 'asin', 'atan', 'atan2',
    'cos', 'pow', 'random', 'round', 'sin', 'tan', 'sqrt', 'ceil', 'floor', 'exp', 'log', 'min', 'max', 'sign'],
  ArrayBuffer: [],
  'ArrayBuffer.prototype': ['byteLength'],
  TypedArray: [],
  'TypedArray.prototype': ['set', 'map', 'subarray', 'indexOf', 'includes', 'join', 'sort', 'forEach', 'reduce',
    'fill', 'filter', 'find', 'findIndex', 'reverse', 'slice', 'some', 'every', 'buffer', 'byteLength',
    'byteOffset', 'toString'],
  'DataView.prototype': ['getFloat32', 'getFloat64', 'getInt8', 'getInt16', 'getInt32', 'getUint8', 'getUint16',
    'getUint32', 'setFloat32', 'setFloat64', 'setInt8', 'setInt16', 'setInt32', 'setUint8', 'setUint16',
    'setUint32', 'buffer', 'byteLength', 'byteOffset'],
  Promise: ['all', 'resolve', 'reject'],
  'Promise.prototype': ['then', 'catch'],
  Date: ['now', 'parse'],
  'Date.prototype': ['getTimezoneOffset', 'getTime', 'valueOf', 'setTime', 'getHours', 'getMinutes', 'getSeconds',
    'getMilliseconds', 'getDay', 'getDate', 'getMonth', 'getFullYear', 'getUTCHours', 'getUTCMinutes',
    'getUTCSeconds', 'getUTCMilliseconds', 'getUTCDay', 'getUTCDate', 'getUTCMonth', 'getUTCFullYear', 'setHours',
    'setMinutes', 'setSeconds', 'setMilliseconds', 'setDate', 'setMonth', 'setFullYear', 'toString',
    'toUTCString', 'toISOString', 'toJSON'],
  // captureStackTrace goes; stackTraceLimit stays so that V8 still records stacks.
  Error: ['stackTraceLimit'],
  JSON: ['stringify', 'parse']
};
const ALWAYS_KEEP = ['constructor', 'length', 'name', 'prototype', '__proto__', 'caller', 'arguments'];

/** The typed array constructors whose `instanceof` also accepts host objects. */
const BINARY_CHECKS = {
  ArrayBuffer: types.isArrayBuffer,
  DataView: types.isDataView,
  Uint8Array: types.isUint8Array,
  Uint8ClampedArray: types.isUint8ClampedArray,
  Int8Array: types.isInt8Array,
  Uint16Array: types.isUint16Array,
  Int16Array: types.isInt16Array,
  Uint32Array: types.isUint32Array,
  Int32Array: types.isInt32Array,
  Float32Array: types.isFloat32Array,
  Float64Array: types.isFloat64Array
};

// ---------------------------------------------------------------------------
// Small helpers

/** jsvGetInteger: numbers truncated, booleans 0/1, anything else 0. */
function toInt(v) {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'number' || !isFinite(v)) return 0;
  return Math.trunc(v);
}

/** A type name like Espruino's %t in error messages. */
function typeName(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'Array';
  if (types.isArrayBuffer(v)) return 'ArrayBuffer';
  if (ArrayBuffer.isView(v)) return v.constructor && v.constructor.name ? v.constructor.name : 'ArrayBufferView';
  const t = typeof v;
  if (t === 'object' || t === 'undefined') return t === 'object' ? 'Object' : 'undefined';
  return t.charAt(0).toUpperCase() + t.slice(1);
}

function isTypedArray(v) {
  return ArrayBuffer.isView(v) && !types.isDataView(v);
}

/** A byte String (one char per byte) as a Buffer. Chars above 0xFF keep
 *  their low byte, as Espruino's (char) casts do. */
function bytesOf(str) {
  return Buffer.from(str, 'latin1');
}

/** A growable byte list, for jsvIterateCallback-style conversions. */
class ByteSink {
  constructor() {
    this.buf = Buffer.allocUnsafe(64);
    this.length = 0;
  }

  push(b) {
    if (this.length === this.buf.length) this._grow(1);
    this.buf[this.length++] = b & 255;
  }

  pushBytes(src) {
    if (this.length + src.length > this.buf.length) this._grow(src.length);
    this.buf.set(src, this.length);
    this.length += src.length;
  }

  _grow(n) {
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }

  bytes() {
    return this.buf.subarray(0, this.length);
  }
}


/**
 * Binds and listens on 127.0.0.1:port synchronously, as Espruino's listen()
 * does, so that a port in use can throw at once. Returns a listening handle
 * for net.Server#listen(handle), or null if the port cannot be used. Uses
 * Node's internal TCP binding; where that is missing, it probes the port
 * from a child process and returns {port}, which Server#listen takes too.
 */
function bindListeningSync(port) {
  let tcp = null;
  try {
    tcp = process.binding('tcp_wrap');
  } catch (e) {
    tcp = null;
  }
  if (tcp && tcp.TCP && tcp.constants) {
    const handle = new tcp.TCP(tcp.constants.SERVER);
    let err = handle.bind('127.0.0.1', port);
    if (!err) err = handle.listen(511);
    if (!err) return handle;
    handle.close();
    return null;
  }
  const probe = "const s=require('net').createServer();s.on('error',()=>process.exit(1));" +
    "s.listen(+process.argv[1],'127.0.0.1',()=>s.close(()=>process.exit(0)))";
  const r = childProcess.spawnSync(process.execPath, ['-e', probe, String(port)], { timeout: 10000 });
  return r.status === 0 ? { port, host: '127.0.0.1' } : null;
}

// ---------------------------------------------------------------------------
// The emulator

class Emulator {
  constructor(options) {
    const board = BOARDS[options.board || 'ESP32'];
    if (!board) throw new Error('unknown board ' + options.board + ' (ESP32 or ESP8266)');
    this.board = board;
    this.log = options.log || defaultLog;
    this.dead = false;
    this.passScheduled = false;
    this.held = false;
    this.servers = []; // listening ServerStates
    this.sockets = []; // open SocketStates (Espruino's HttpCC list)
    this.closing = new Set(); // real sockets closed by the board, waiting for the peer
    this.states = new Map(); // proxy -> SocketState or ServerState
    this.emitters = new WeakMap(); // other objects -> their listeners
    this.events = []; // the queue run by jsiExecuteEvents: { fns, thisArg, args }
    this.timers = []; // live timers, in the order they were added
    this.ports = new Set();
    this.nextSocket = 1;
    this.foreign = new Set();
    this.uncaught = [];
    this.hazards = [];
    this.errorFlags = new Set();
    this.counters = { dataEvents: 0, maxDataEvent: 0, bytesReceived: 0, bytesSent: 0 };
    // Storage files (a board's flash), name -> byte string.
    this.storage = Object.assign({}, options.storage);
    this.writeRecords = []; // per socket, in accept order: see writes()
    this.holdAt = null; // { bytes, resolve }: see holdAfterSent()
    this.failures = {}; // name -> { skip, n }: see failNext()
    this._makeContext();
  }

  // ---- the vm context -----------------------------------------------------

  _makeContext() {
    const sandbox = {};
    const ctx = (this.ctx = vm.createContext(sandbox, { name: 'espruino-' + this.board.id }));
    vm.runInContext('(function (keep) { Object.getOwnPropertyNames(globalThis).forEach(function (k) {' +
      ' if (keep.indexOf(k) < 0) delete globalThis[k]; }); })', ctx)(KEEP_GLOBALS);
    const C = (this.C = vm.runInContext('({ Object: Object, Function: Function, Array: Array, String: String, ' +
      'Number: Number, Math: Math, ArrayBuffer: ArrayBuffer, DataView: DataView, Uint8Array: Uint8Array, ' +
      'TypedArray: Object.getPrototypeOf(Uint8Array), Promise: Promise, Date: Date, Error: Error, ' +
      'TypeError: TypeError, JSON: JSON, global: globalThis })', ctx));
    // Functions the emulator gives the board are made in its realm, so that
    // their call/apply/bind and `instanceof Function` are the board's too.
    const wrapper = vm.runInContext('(function (impl) { "use strict";' +
      ' return function () { return impl.apply(this, arguments); }; })', ctx);
    this._boardFn = (fn) => {
      if (typeof fn !== 'function' || !(fn instanceof Function)) return fn;
      const w = wrapper(fn);
      Object.defineProperty(w, 'name', { value: fn.name, configurable: true });
      return w;
    };
    for (const path of Object.keys(KEEP_MEMBERS)) {
      const dot = path.indexOf('.');
      const obj = dot < 0 ? C[path] : C[path.slice(0, dot)].prototype;
      const keep = KEEP_MEMBERS[path];
      for (const k of Object.getOwnPropertyNames(obj)) {
        // Non-configurable constants (Number.EPSILON...) cannot go.
        if (keep.indexOf(k) < 0 && ALWAYS_KEEP.indexOf(k) < 0 && Object.getOwnPropertyDescriptor(obj, k).configurable) {
          delete obj[k];
        }
      }
    }
    for (const name of Object.keys(BINARY_CHECKS)) {
      const check = BINARY_CHECKS[name];
      Object.defineProperty(C.global[name], Symbol.hasInstance, { value: (v) => check(v), configurable: true });
    }
    this._espruinoBuiltins();
    this._shareErrorPrototypes();
    C.InternalError = vm.runInContext('(function () { function InternalError(message) {' +
      ' if (!(this instanceof InternalError)) return new InternalError(message);' +
      ' this.message = message === undefined ? "" : String(message); }' +
      ' InternalError.prototype = Object.create(Error.prototype);' +
      ' InternalError.prototype.name = "InternalError";' +
      ' InternalError.prototype.constructor = InternalError; return InternalError; })()', ctx);
    this._globals(sandbox);
  }

  /** Replaces built-ins whose behaviour differs on Espruino. */
  _espruinoBuiltins() {
    const C = this.C, self = this;
    const define = (obj, name, fn) => Object.defineProperty(obj, name,
      { value: this._boardFn(fn), writable: true, configurable: true, enumerable: false });

    // 8-bit strings: fromCharCode keeps the low byte ((char)value).
    const fromCharCode = String.fromCharCode;
    define(C.String, 'fromCharCode', function fromCharCode_() {
      const codes = new Array(arguments.length);
      for (let i = 0; i < arguments.length; i++) codes[i] = toInt(Number(arguments[i])) & 255;
      return fromCharCode.apply(String, codes);
    });
    // Case conversion maps only A-Z and the Latin-1 letters, byte for byte
    // (charToUpperCase/charToLowerCase in src/jsutils.c): 'ß', 'ÿ', 'µ' stay.
    define(C.String.prototype, 'toLowerCase', function toLowerCase() {
      return String(this).replace(/[A-Z\xC0-\xD6\xD8-\xDE]/g, (c) => fromCharCode(c.charCodeAt(0) + 32));
    });
    define(C.String.prototype, 'toUpperCase', function toUpperCase() {
      return String(this).replace(/[a-z\xE0-\xF6\xF8-\xFE]/g, (c) => fromCharCode(c.charCodeAt(0) - 32));
    });

    // Function#apply takes at most 256 arguments (jswrap_function_apply_or_call).
    define(C.Function.prototype, 'apply', function apply(thisArg, args) {
      if (args === undefined) return Reflect.apply(this, thisArg, []);
      if (args === null || (typeof args !== 'object' && typeof args !== 'string')) {
        throw new C.Error('Second argument to Function.apply must be iterable, got ' + typeName(args));
      }
      const list = Array.prototype.slice.call(args);
      if (list.length > JS_MAX_FUNCTION_ARGUMENTS) {
        throw new C.Error('Array passed to Function.apply is too big! Maximum ' + JS_MAX_FUNCTION_ARGUMENTS +
          ' arguments, got ' + list.length);
      }
      return Reflect.apply(this, thisArg, list);
    });

    const TAproto = C.TypedArray.prototype;
    const nativeSet = TAproto.set, nativeSubarray = TAproto.subarray;
    // subarray (jswrap_arraybufferview_subarray): the end is not clamped to
    // the length, and begin == end gives a new empty array.
    define(TAproto, 'subarray', function subarray(begin, end) {
      if (!isTypedArray(this)) throw new C.Error('ArrayBufferView.subarray can only be called on an ArrayBufferView');
      const len = this.length;
      let b = toInt(begin);
      let e = typeof end === 'number' || typeof end === 'boolean' ? toInt(end) : len;
      if (b < 0) b += len;
      if (e < 0) e += len;
      if (e < 0) e = 0;
      if (b > e) b = e = 0;
      if (b === e) return new this.constructor(0);
      const size = this.BYTES_PER_ELEMENT, offset = this.byteOffset + b * size;
      if (b < 0 || e > len) {
        self._hazard('subarray(' + begin + ', ' + end + ') on a ' + len + '-element array: Espruino does not clamp ' +
          'it and gives ' + (e - b) + ' elements');
      }
      if (offset < 0 || offset + (e - b) * size > this.buffer.byteLength) {
        throw new C.Error('emulator: subarray(' + begin + ', ' + end + ') reaches outside its ArrayBuffer; ' +
          'on Espruino this reads unrelated memory');
      }
      return new this.constructor(this.buffer, offset, e - b);
    });
    // slice on a typed array is Array's slice: it returns a plain Array.
    define(TAproto, 'slice', function slice(start, end) {
      return C.Array.prototype.slice.call(this, start, end);
    });
    // set (jswrap_arraybufferview_set): takes a String, Array, ArrayBuffer or
    // typed array, and silently stops at the end of the target.
    define(TAproto, 'set', function set(src, offset) {
      let values;
      if (typeof src === 'string') values = Array.prototype.map.call(src, (c) => c.charCodeAt(0));
      else if (Array.isArray(src) || isTypedArray(src)) values = src;
      else if (types.isAnyArrayBuffer(src)) values = new C.Uint8Array(src);
      else throw new C.Error('First argument must be Array, not ' + typeName(src));
      const o = toInt(offset);
      if (o < 0) return;
      const n = Math.min(values.length, this.length - o);
      if (n < values.length) {
        self._hazard('set() of ' + values.length + ' elements at ' + o + ' into a ' + this.length +
          '-element array: Espruino silently drops ' + (values.length - Math.max(n, 0)));
      }
      if (n <= 0) return;
      const part = isTypedArray(values) ? nativeSubarray.call(values, 0, n) : Array.prototype.slice.call(values, 0, n);
      nativeSet.call(this, part, o);
    });
  }

  /** The board's Error, TypeError, SyntaxError and ReferenceError prototypes
   *  inherit from the host's, so that test code's `e instanceof TypeError`
   *  holds for errors the board throws (engine errors included). The board's
   *  own `instanceof Error` still holds for all of them. (Error objects then
   *  inherit from the host's Object.prototype, not the board's.) */
  _shareErrorPrototypes() {
    const C = this.C;
    const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];
    Object.setPrototypeOf(C.Error.prototype, Error.prototype);
    for (const name of ['TypeError', 'SyntaxError', 'ReferenceError']) {
      Object.setPrototypeOf(C.global[name].prototype, globalThis[name].prototype);
    }
    // TypeError & co. inherit this from Error: `this` is the constructor asked.
    Object.defineProperty(C.Error, Symbol.hasInstance, {
      configurable: true,
      value: function (v) {
        return ordinaryHasInstance.call(this, v) || (this === C.Error && ordinaryHasInstance.call(Error, v));
      }
    });
  }

  /** Espruino's global functions and objects. */
  _globals(sandbox) {
    const C = this.C, self = this, board = this.board, g = {};
    const obj = (props) => {
      const o = new C.Object();
      for (const k of Object.keys(props)) o[k] = self._boardFn(props[k]);
      return o;
    };

    g.global = C.global;
    g.InternalError = C.InternalError;
    g.console = obj({
      log: (...a) => self.log('log', a),
      info: (...a) => self.log('log', a),
      debug: (...a) => self.log('log', a),
      warn: (...a) => self.log('warn', a),
      error: (...a) => self.log('error', a),
      trace: (...a) => self.log('error', a)
    });
    g.print = g.console.log;
    g.getTime = () => Date.now() / 1000;
    g.process = obj({
      version: '2v29',
      env: obj({ VERSION: '2v29', BOARD: board.id, MODULES: 'net,crypto' }),
      // A stub: the board's JsVar count and block size, nothing measured.
      memory: () => obj({
        free: board.memory.total, usage: 0, total: board.memory.total, history: 0, gc: 0, gctime: 0,
        blocksize: board.memory.blocksize
      })
    });

    g.E = obj({
      toString: function toString() {
        // One String argument comes back as it is (Espruino returns it too).
        if (arguments.length === 1 && typeof arguments[0] === 'string') return arguments[0];
        if (self._failing('E.toString')) return undefined;
        return self._collect(arguments).toString('latin1');
      },
      toFlatString: function toFlatString() {
        if (self._failing('E.toFlatString')) return undefined;
        return self._collect(arguments).toString('latin1');
      },
      toUint8Array: function toUint8Array() {
        if (self._failing('E.toUint8Array')) return undefined;
        const bytes = self._collect(arguments);
        const u8 = new C.Uint8Array(bytes.length);
        u8.set(bytes);
        return u8;
      },
      // (A copy here; on Espruino it refers to the String's own bytes.)
      toArrayBuffer: (str) => {
        if (typeof str !== 'string' || self._failing('E.toArrayBuffer')) return undefined;
        const u8 = new C.Uint8Array(str.length);
        u8.set(bytesOf(str));
        return u8.buffer;
      },
      lookupNoCase: (haystack, needle, returnKey) => {
        if (haystack === null || (typeof haystack !== 'object' && typeof haystack !== 'function')) return undefined;
        const want = String(needle);
        if (want.length >= 64) throw new C.Error('Search string is too long (>=64 chars)');
        const lower = want.toLowerCase();
        for (const k of Object.keys(haystack)) {
          if (k.toLowerCase() === lower) return returnKey ? k : haystack[k];
        }
        return undefined;
      },
      getSizeOf: (v, depth) => estimateSize(v, toInt(depth), C, board),
      getErrorFlags: () => {
        const flags = new C.Array();
        for (const f of self.errorFlags) flags.push(f);
        self.errorFlags.clear();
        return flags;
      },
      CRC32: (data) => crc32(self._collect([data])),
      hwRand: () => nodeCrypto.randomBytes(4).readInt32LE(0),
      defrag: () => undefined
    });

    g.btoa = (data) => {
      let bytes;
      if (typeof data === 'string') bytes = bytesOf(data);
      else if (types.isAnyArrayBuffer(data)) bytes = Buffer.from(data);
      else if (isTypedArray(data)) bytes = Buffer.from(Array.prototype.map.call(data, (x) => toInt(x) & 255));
      else if (data !== null && typeof data === 'object') {
        // Arrays and other objects: every element, as an integer.
        const values = Array.isArray(data) ? data : Object.keys(data).map((k) => data[k]);
        bytes = Buffer.from(Array.prototype.map.call(values, (x) => toInt(Number(x)) & 255));
      } else throw new C.Error('Expecting String or Array, got ' + typeName(data));
      return bytes.toString('base64');
    };
    g.atob = (data) => {
      if (typeof data !== 'string') throw new C.Error('Expecting String, got ' + typeName(data));
      return atobEspruino(data);
    };

    g.setTimeout = function setTimeout(fn, ms) {
      return self._addTimer(fn, ms, Array.prototype.slice.call(arguments, 2), false);
    };
    g.setInterval = function setInterval(fn, ms) {
      return self._addTimer(fn, ms, Array.prototype.slice.call(arguments, 2), true);
    };
    g.clearTimeout = function clearTimeout() {
      self._clearTimer(arguments, 'Timeout');
    };
    g.clearInterval = function clearInterval() {
      self._clearTimer(arguments, 'Interval');
    };

    const modules = this.modules = { net: this._netModule(), crypto: this._cryptoModule(), Storage: this._storageModule() };
    g.require = (name) => {
      const m = Object.prototype.hasOwnProperty.call(modules, name) ? modules[name] : undefined;
      if (!m) throw new C.Error('Module ' + JSON.stringify(String(name)) + ' not found');
      return m;
    };
    for (const k of Object.keys(g)) sandbox[k] = this._boardFn(g[k]);
  }

  /** jsvIterateCallback: the bytes of E.toString/E.toUint8Array arguments. */
  _collect(args) {
    const C = this.C, sink = new ByteSink();
    const walk = (v) => {
      if (typeof v === 'number' || typeof v === 'boolean') sink.push(toInt(v));
      else if (typeof v === 'string') sink.pushBytes(bytesOf(v));
      else if (types.isAnyArrayBuffer(v)) sink.pushBytes(new Uint8Array(v));
      else if (types.isUint8Array(v) || types.isUint8ClampedArray(v)) sink.pushBytes(v);
      else if (isTypedArray(v)) for (let i = 0; i < v.length; i++) sink.push(toInt(v[i]));
      else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) walk(v[i]);
      else if (v !== null && typeof v === 'object' && !types.isDataView(v)) {
        const callback = v.callback;
        if (typeof callback === 'function') {
          const r = callback();
          if (r !== undefined) walk(r);
        } else if (v.data !== undefined && typeof v.count === 'number') {
          for (let n = toInt(v.count); n > 0; n--) walk(v.data);
        } else {
          throw new C.TypeError('If specifying an object, it must be of the form {data : ..., count : N} or ' +
            '{callback : fn} - got ' + JSON.stringify(v));
        }
      } else throw new C.TypeError('Expecting Number or iterable, got ' + typeName(v));
    };
    for (let i = 0; i < args.length; i++) walk(args[i]);
    return sink.bytes();
  }

  // ---- timers (src/jswrap_interactive.c) -----------------------------------

  _addTimer(fn, ms, args, repeat) {
    if (typeof fn !== 'function' && typeof fn !== 'string') throw new this.C.Error('Function or String not supplied!');
    let interval = Number(ms);
    if (isNaN(interval) || interval < TIMER_MIN_INTERVAL) interval = TIMER_MIN_INTERVAL;
    // jsiTimerAdd: the id is one more than the last timer's, or 1 when there
    // is none, so ids are reused as soon as the newest timer is gone.
    const last = this.timers[this.timers.length - 1];
    const timer = { id: last ? last.id + 1 : 1, fn, args, repeat, handle: null };
    const fire = () => {
      if (this.dead || this.timers.indexOf(timer) < 0) return;
      if (!repeat) this._dropTimer(timer);
      this._call(timer.fn, undefined, timer.args);
      this._schedule();
    };
    timer.handle = repeat ? setInterval(fire, interval) : setTimeout(fire, interval);
    if (timer.handle.unref) timer.handle.unref();
    this.timers.push(timer);
    return timer.id;
  }

  _dropTimer(timer) {
    const i = this.timers.indexOf(timer);
    if (i >= 0) this.timers.splice(i, 1);
    clearTimeout(timer.handle);
    clearInterval(timer.handle);
  }

  _clearTimer(args, kind) {
    // No argument clears every timer; undefined throws (2v03+); an unknown id
    // is ignored. Timeouts and intervals share one list.
    if (args.length === 0) {
      for (const t of this.timers.slice()) this._dropTimer(t);
      return;
    }
    const id = args[0];
    if (id === undefined) {
      throw new this.C.Error('clear' + kind + '(undefined) not allowed. Use clear' + kind + '() instead');
    }
    if (id !== null && typeof id === 'object') return;
    const t = this.timers.find((x) => String(x.id) === String(id));
    if (t) this._dropTimer(t);
  }

  // ---- require('Storage') --------------------------------------------------

  /** Storage with read() and write() of whole files (the board's flash, in
   *  memory; loadBundle's `storage` option fills it). read() of a missing
   *  file gives undefined, as on a board. */
  _storageModule() {
    const files = this.storage, m = new this.C.Object();
    m.read = this._boardFn((name) => (Object.prototype.hasOwnProperty.call(files, name) ? files[name] : undefined));
    m.write = this._boardFn((name, data) => {
      files[name] = String(data);
      return true;
    });
    return m;
  }

  // ---- require('crypto') ---------------------------------------------------

  _cryptoModule() {
    const C = this.C, self = this, m = new C.Object();
    for (const name of Object.keys(this.board.hashes)) {
      const algorithm = this.board.hashes[name];
      m[name] = this._boardFn((message) => {
        const digest = nodeCrypto.createHash(algorithm).update(self._collect([message])).digest();
        const u8 = new C.Uint8Array(digest.length);
        u8.set(digest);
        return u8.buffer;
      });
    }
    return m;
  }

  // ---- require('net') ------------------------------------------------------

  _netModule() {
    const C = this.C, self = this;
    const method = (obj, name, fn) => Object.defineProperty(obj, name,
      { value: self._boardFn(fn), writable: true, configurable: true, enumerable: false });

    // Every Espruino object has these built in (src/jswrap_object.c), so
    // they go on the board's Object.prototype (not enumerable). `on` returns
    // undefined: calls cannot be chained.
    const events = C.Object.prototype;
    method(events, 'on', function on(event, fn) {
      self._addListener(this, event, fn, false);
    });
    method(events, 'addListener', events.on);
    method(events, 'prependListener', function prependListener(event, fn) {
      self._addListener(this, event, fn, true);
    });
    method(events, 'removeListener', function removeListener(event, fn) {
      const st = self._state(this);
      if (typeof event !== 'string') throw new C.TypeError('First argument must be String');
      const list = st.listeners[event];
      const i = list ? list.indexOf(fn) : -1;
      if (i >= 0) list.splice(i, 1);
    });
    method(events, 'removeAllListeners', function removeAllListeners(event) {
      const st = self._state(this);
      if (event === undefined) st.listeners = {};
      else if (typeof event === 'string') delete st.listeners[event];
      else throw new C.TypeError('First argument must be String or undefined');
    });
    // emit is asynchronous: it queues the listeners (jsiQueueEvents), and
    // takes at most 4 arguments.
    method(events, 'emit', function emit(event) {
      const st = self._state(this);
      if (typeof event !== 'string') throw new C.TypeError('First argument must be String');
      const args = Array.prototype.slice.call(arguments, 1);
      self._queue(st, event, args.slice(0, MAX_EMIT_ARGS));
      self._schedule();
      if (args.length > MAX_EMIT_ARGS) throw new C.TypeError('Too many arguments (>' + MAX_EMIT_ARGS + ')');
    });

    const socketProto = (this.socketProto = C.Object.create(events));
    method(socketProto, 'write', function write(data) {
      return self._write(self._state(this, 'socket'), arguments.length ? data : undefined);
    });
    method(socketProto, 'end', function end(data) {
      const st = self._state(this, 'socket'), t = st.target;
      if (data !== undefined) self._write(st, data);
      // clientRequestEnd: with nothing to send, close on the next pass.
      if (!t.dSnd) t.clsNow = true;
      t.cls = true;
      self._schedule();
    });
    // Without a 'data' listener, up to 512 received bytes wait in a hidden
    // buffer that available() and read() give access to.
    method(socketProto, 'available', function available() {
      const st = self._state(this, 'socket');
      return st.buf === null ? 0 : st.buf.length;
    });
    method(socketProto, 'read', function read(chars) {
      const st = self._state(this, 'socket');
      if (st.buf === null) return undefined;
      const n = chars === undefined ? st.buf.length : Math.max(0, toInt(chars));
      const r = st.buf.slice(0, n);
      st.buf = n >= st.buf.length ? null : st.buf.slice(n);
      return r;
    });

    const serverProto = (this.serverProto = C.Object.create(events));
    method(serverProto, 'listen', function listen(port) {
      self._listen(self._state(this, 'server'), port);
      return this;
    });
    method(serverProto, 'close', function close() {
      self._closeServer(self._state(this, 'server'));
    });

    const m = new C.Object();
    m.createServer = this._boardFn(function createServer(callback) {
      if (typeof callback !== 'function') {
        // jswrap_net_createServer reports this with jsError: no exception.
        self.log('error', ['ERROR: Expecting Callback Function but got ' + typeName(callback)]);
        return undefined;
      }
      const target = C.Object.create(serverProto);
      target.type = 0; // ST_NORMAL
      const st = {
        kind: 'server', target, proxy: null, listeners: { connect: [callback] }, real: null, pending: [], port: 0
      };
      st.proxy = self._watch(target, 'server');
      self.states.set(st.proxy, st);
      return st.proxy;
    });
    return m;
  }

  /** A Proxy that records every property the bundle sets on an Espruino
   *  object: Espruino keeps its own state in visible properties there
   *  (type, sckt, dSnd, ...), so no code may add or change any, except
   *  `socket.clsNow = true`, Espruino's abortive close. */
  _watch(target, kind) {
    const self = this;
    return new Proxy(target, {
      set(t, key, value) {
        // The one exception: setting Espruino's own close-now flag is how a
        // socket is closed at once (socketserver.c reads it on every idle
        // pass; end() sets it when nothing is pending).
        if (!(kind === 'socket' && key === 'clsNow' && value === true)) self.foreign.add(kind + '.' + String(key));
        return Reflect.set(t, key, value);
      },
      defineProperty(t, key, desc) {
        self.foreign.add(kind + '.' + String(key));
        return Reflect.defineProperty(t, key, desc);
      },
      deleteProperty(t, key) {
        self.foreign.add(kind + '.' + String(key));
        return Reflect.deleteProperty(t, key);
      }
    });
  }

  /** The state behind a net object (kind 'socket' or 'server'), or, without
   *  a kind, the listeners of any object. */
  _state(obj, kind) {
    const st = this.states.get(obj);
    if (kind) {
      if (!st || st.kind !== kind) {
        throw new this.C.TypeError('emulator: method called on an object that is not a ' + kind + ' object');
      }
      return st;
    }
    if (st) return st;
    if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) {
      throw new this.C.TypeError('Parent must be an object - not a String, Integer, etc');
    }
    let g = this.emitters.get(obj);
    if (!g) {
      g = { kind: 'object', proxy: obj, listeners: {}, buf: null };
      this.emitters.set(obj, g);
    }
    return g;
  }

  _addListener(proxy, event, fn, first) {
    const C = this.C, st = this._state(proxy);
    if (typeof event !== 'string') throw new C.TypeError('First argument must be String');
    if (typeof fn !== 'function' && typeof fn !== 'string') {
      throw new C.TypeError('Second argument must be a function or a String');
    }
    const list = (st.listeners[event] || []).slice();
    if (first) list.unshift(fn);
    else list.push(fn);
    st.listeners[event] = list;
    // A new 'data' listener gets the buffered bytes in a queued event.
    if (event === 'data' && st.buf !== null) {
      const data = st.buf;
      st.buf = null;
      this._queue(st, 'data', [data]);
      this.counters.dataEvents++;
      this.counters.maxDataEvent = Math.max(this.counters.maxDataEvent, data.length);
    }
    this._schedule();
  }

  /** jsiQueueObjectCallbacks: queued only if a listener exists right now. */
  _queue(st, event, args) {
    const fns = st.listeners[event];
    if (!fns || !fns.length) return;
    this.events.push({ fns: fns.slice(), thisArg: st.proxy, args });
  }

  /** Runs JS code of the board; an exception is "Uncaught", as on Espruino. */
  _call(fn, thisArg, args) {
    try {
      if (typeof fn === 'string') vm.runInContext(fn, this.ctx);
      else fn.apply(thisArg, args);
    } catch (e) {
      const text = 'Uncaught ' + (e && e.stack ? e.stack : String(e));
      this.uncaught.push(text);
      this.log('uncaught', [text]);
    }
  }

  _hazard(text) {
    if (this.hazards.indexOf(text) < 0) this.hazards.push(text);
  }

  // ---- socket.write (clientRequestWrite) ----------------------------------

  _write(st, data) {
    const t = st.target;
    if (t.clsNow || t.cls) throw new this.C.Error('This socket is closed');
    if (typeof t.dSnd !== 'string') t.dSnd = '';
    if (data !== undefined) {
      const s = this._asString(data), w = st.writes;
      w.sizes.push(s.length);
      w.maxPending = Math.max(w.maxPending, t.dSnd.length);
      if (s.length) t.dSnd += s;
      w.maxOutstanding = Math.max(w.maxOutstanding, t.dSnd.length);
    }
    this._schedule();
    return false;
  }

  /** jsvAsString: how write() turns a value into bytes. Arrays, ArrayBuffers
   *  and typed arrays become comma-joined decimal text. */
  _asString(v) {
    if (typeof v === 'string') return v;
    if (v === null) return 'null';
    if (v === undefined) return 'undefined';
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v === 'function') return Function.prototype.toString.call(v);
    if (types.isAnyArrayBuffer(v)) return Array.prototype.join.call(new Uint8Array(v), ',');
    if (Array.isArray(v) || isTypedArray(v)) {
      return Array.prototype.map.call(v, (x) => (x === null || x === undefined ? '' : this._asString(x))).join(',');
    }
    const toStringFn = v.toString;
    if (typeof toStringFn === 'function' && toStringFn !== this.C.Object.prototype.toString &&
        toStringFn !== Object.prototype.toString) {
      return this._asString(toStringFn.call(v));
    }
    return '[object Object]';
  }

  // ---- server.listen / server.close ---------------------------------------

  _listen(st, port) {
    const C = this.C, t = st.target;
    if (st.real) {
      throw new C.Error('emulator: listen() called twice on one server (on Espruino this breaks the first port)');
    }
    if (typeof port !== 'number' || port !== Math.floor(port) || port < 1 || port > 65535) {
      // Espruino would coerce this to an int32 and listen on whatever it got.
      throw new C.TypeError('emulator: listen(port) needs a port number from 1 to 65535 (Espruino cannot ' +
        'pick a free port: use freePort()), got ' + String(port));
    }
    t.port = port;
    const handle = this.ports.has(port) ? null : bindListeningSync(port);
    if (!handle) {
      t.clsNow = true;
      throw new C.InternalError('Unable to create socket');
    }
    const real = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
    real.on('connection', (sock) => this._incoming(st, sock));
    real.on('error', (e) => this.log('error', ['emulator: server on port ' + port + ': ' + e.message]));
    real.listen(handle);
    st.real = real;
    st.port = port;
    t.sckt = this.nextSocket++;
    this.servers.push(st);
    this.ports.add(port);
  }

  _closeServer(st) {
    const t = st.target;
    const i = this.servers.indexOf(st);
    if (i < 0) {
      this.log('warn', ['WARNING: Server not found!']);
      return;
    }
    this.servers.splice(i, 1);
    this.ports.delete(st.port);
    st.real.close();
    // Connections not accepted yet die with the listening socket.
    for (const sock of st.pending) sock.destroy();
    st.pending = [];
    delete t.sckt;
    t.conn = false;
    t.cls = true;
  }

  _incoming(st, sock) {
    if (this.dead || this.servers.indexOf(st) < 0) {
      sock.destroy();
      return;
    }
    // Errors before the accept are kept for the first recv().
    sock.on('error', (e) => {
      sock.emulatorError = e;
      this._schedule();
    });
    st.pending.push(sock);
    this._schedule();
  }

  /** socketIdle: a new connection becomes a Socket, and the server's
   *  connection callback is queued with it. */
  _accept(srv, real) {
    const target = this.C.Object.create(this.socketProto);
    target.type = 0; // ST_NORMAL
    target.sckt = this.nextSocket++;
    const st = {
      kind: 'socket', target, proxy: null, real, listeners: {},
      inq: [], inqBytes: 0, paused: false, peerEnded: false, error: 0, inFlight: false,
      buf: null, // the stream buffer (\xFFbuf) used while there is no 'data' listener
      writes: { socket: target.sckt, sizes: [], maxPending: 0, maxOutstanding: 0 },
      // What the real socket has seen: its 'error' (code), 'end', 'close'.
      peer: { error: real.emulatorError ? real.emulatorError.code || 'error' : null, ended: false, closed: false }
    };
    this.writeRecords.push(st.writes);
    st.proxy = this._watch(target, 'socket');
    this.states.set(st.proxy, st);
    if (real.emulatorError) st.error = this._errorCode(real.emulatorError);
    real.removeAllListeners('error');
    real.on('error', (e) => {
      if (!st.error) st.error = this._errorCode(e);
      if (!st.peer.error) st.peer.error = e.code || 'error';
      this._schedule();
    });
    real.on('data', (b) => {
      st.inq.push(b);
      st.inqBytes += b.length;
      this.counters.bytesReceived += b.length;
      if (st.inqBytes >= this.board.window && !st.paused) {
        st.paused = true;
        real.pause();
      }
      this._schedule();
    });
    real.on('end', () => {
      st.peerEnded = true;
      st.peer.ended = true;
      this._schedule();
    });
    real.on('close', () => {
      if (!st.error && !st.peerEnded) st.peerEnded = true;
      st.peer.closed = true;
      this._schedule();
    });
    real.on('drain', () => this._schedule());
    real.setNoDelay(true);
    real.resume();
    this.sockets.push(st);
    this._queue(srv, 'connect', [st.proxy]);
  }

  _errorCode(e) {
    if (this.board.resetError === ERR_CLOSED) return ERR_CLOSED;
    return e && (e.code === 'ECONNRESET' || e.code === 'EPIPE') ? this.board.resetError : ERR_UNKNOWN;
  }

  // ---- the idle loop (socketIdle / socketClientConnectionsIdle) -----------

  _schedule() {
    if (this.passScheduled || this.held || this.dead) return;
    this.passScheduled = true;
    setImmediate(() => this._pass());
  }

  /** Stops the idle loop, so that what the network does meanwhile is all
   *  seen by one pass after release(). Timers still run. */
  hold() {
    this.held = true;
  }

  release() {
    this.held = false;
    this._schedule();
  }

  /** Holds the idle loop from the pass in which the bytes sent (all
   *  sockets, since the board started) reach `bytes`; the rest of that pass
   *  still runs. Resolves then. */
  holdAfterSent(bytes) {
    return new Promise((resolve) => {
      this.holdAt = { bytes, resolve };
      if (this.counters.bytesSent >= bytes) {
        this.holdAt = null;
        this.held = true;
        resolve();
      }
    });
  }

  /** What each socket's write() calls did, in accept order (copies). */
  writes() {
    return this.writeRecords.map((w) => ({ socket: w.socket, sizes: w.sizes.slice(), maxPending: w.maxPending,
      maxOutstanding: w.maxOutstanding }));
  }

  /** Resolves from a board timer of the shortest interval: after every board
   *  timer of that interval that was made before it. */
  afterTimers() {
    return new Promise((resolve) => this._addTimer(() => resolve(), 0, [], false));
  }

  /** After `skip` more calls that work, the next `n` calls of `name` ('E.toString',
   *  'E.toUint8Array', 'E.toFlatString', 'E.toArrayBuffer') return undefined. */
  failNext(name, n, skip) {
    if (['E.toString', 'E.toUint8Array', 'E.toFlatString', 'E.toArrayBuffer'].indexOf(name) < 0) {
      throw new Error('failNext: no such function ' + name);
    }
    const count = n === undefined ? 1 : n;
    if (count > 0) this.failures[name] = { skip: skip || 0, n: count };
    else delete this.failures[name];
  }

  /** Should this call of `name` fail (see failNext)? */
  _failing(name) {
    const f = this.failures[name];
    if (!f) return false;
    if (f.skip > 0) {
      f.skip--;
      return false;
    }
    if (--f.n <= 0) delete this.failures[name];
    return true;
  }

  _pass() {
    this.passScheduled = false;
    if (this.dead || this.held) return;
    for (const srv of this.servers.slice()) {
      if (srv.pending.length) this._accept(srv, srv.pending.shift());
    }
    for (const st of this.sockets.slice()) this._socketIdle(st);
    this._runEvents();
    if (this._needsPass()) this._schedule();
  }

  _socketIdle(st) {
    const t = st.target;
    let closeNow = !!t.clsNow, error = 0;
    this._pushReceived(st, false);
    if (!closeNow) {
      if (typeof t.dSnd === 'string' && t.dSnd.length) {
        const num = this._netSend(st);
        if (num > 0 && !t.conn) {
          this._queue(st, 'connect', [st.proxy]);
          t.conn = true;
        }
        if (num < 0) {
          closeNow = true;
          error = num;
        }
      } else if (t.cls) closeNow = true;
      const r = this._netRecv(st);
      if (typeof r === 'number' && r < 0) {
        closeNow = true;
        error = r;
      } else {
        // The first recv() that works marks the socket connected, and says
        // 'drain' if nothing is waiting to be sent.
        if (!t.conn) {
          this._queue(st, 'connect', [st.proxy]);
          t.conn = true;
          if (!t.dSnd) this._queue(st, 'drain', [st.proxy]);
        }
        if (typeof r === 'string' && r.length) {
          t.dRcv = (t.dRcv || '') + r;
          this._pushReceived(st, false);
        }
      }
    }
    if (!closeNow) return;
    this._pushReceived(st, true);
    if (t.dRcv) return; // held until a 'data' listener takes it
    if (t.dSnd && error === ERR_CLOSED) error = ERR_UNSENT_DATA;
    this._kill(st);
    const hadError = error < 0 && error !== ERR_CLOSED;
    if (hadError) {
      const e = new this.C.Object();
      e.code = error;
      e.message = SOCKET_ERRORS[-1 - error] || SOCKET_ERRORS[-1 - ERR_UNKNOWN];
      this._queue(st, 'error', [e]);
    }
    if (!t.endd) {
      t.endd = true;
      this._queue(st, 'end', []);
    }
    this._queue(st, 'close', [hadError]);
  }

  /** socketPushReceiveData + jswrap_stream_pushData: the 'data' listeners
   *  are called at once (not queued); without one, up to 512 bytes wait in
   *  the stream buffer and the rest stays in dRcv. */
  _pushReceived(st, force) {
    const t = st.target, data = t.dRcv;
    if (!data) return;
    const fns = st.listeners.data;
    if (fns && fns.length) {
      this.counters.dataEvents++;
      this.counters.maxDataEvent = Math.max(this.counters.maxDataEvent, data.length);
      delete t.dRcv;
      for (const fn of fns.slice()) this._call(fn, st.proxy, [data]);
      return;
    }
    let ok = true;
    if (st.buf === null) st.buf = data;
    else {
      if (st.buf.length + data.length > STREAM_MAX_BUFFER_SIZE) {
        if (force) this.errorFlags.add('BUFFER_FULL');
        ok = false;
      }
      if ((ok || force) && st.buf.length < STREAM_MAX_BUFFER_SIZE) {
        st.buf += data.slice(0, STREAM_MAX_BUFFER_SIZE - st.buf.length);
      }
    }
    if (ok) delete t.dRcv;
  }

  /** netSend: at most one chunk; returns the bytes sent, 0 if the socket
   *  cannot take them now, or a negative error. */
  _netSend(st) {
    const t = st.target, real = st.real;
    if (st.error) return st.error;
    if (real.destroyed || real.writableEnded) return ERR_CLOSED;
    if (this.board.oneSendInFlight ? st.inFlight : real.writableNeedDrain) return 0;
    const n = Math.min(this.board.chunk, t.dSnd.length);
    st.inFlight = true;
    real.write(bytesOf(t.dSnd.slice(0, n)), () => {
      st.inFlight = false;
      this._schedule();
    });
    this.counters.bytesSent += n;
    if (this.holdAt && this.counters.bytesSent >= this.holdAt.bytes) {
      const done = this.holdAt.resolve;
      this.holdAt = null;
      this.held = true;
      done();
    }
    if (n < t.dSnd.length) t.dSnd = t.dSnd.slice(n);
    else {
      // socketSendData: all sent. 'drain', unless end() was called.
      t.dSnd = '';
      if (!t.cls) this._queue(st, 'drain', [st.proxy]);
    }
    return n;
  }

  /** netRecv: at most one chunk as a byte String, '' for nothing yet, or a
   *  negative error once everything received has been taken. */
  _netRecv(st) {
    if (st.inqBytes) {
      const n = Math.min(this.board.chunk, st.inqBytes);
      const parts = [];
      let need = n;
      while (need) {
        const b = st.inq[0];
        if (b.length <= need) {
          parts.push(b);
          st.inq.shift();
          need -= b.length;
        } else {
          parts.push(b.subarray(0, need));
          st.inq[0] = b.subarray(need);
          need = 0;
        }
      }
      st.inqBytes -= n;
      if (st.paused && st.inqBytes < this.board.window) {
        st.paused = false;
        st.real.resume();
      }
      return Buffer.concat(parts, n).toString('latin1');
    }
    if (st.error) return st.error;
    if (st.peerEnded) return ERR_CLOSED;
    return '';
  }

  /** _socketConnectionKill: the socket is closed and leaves the list. The
   *  real socket sends what it has, then FIN; what arrives later is dropped. */
  _kill(st) {
    const t = st.target, real = st.real;
    delete t.sckt;
    t.conn = false;
    t.cls = true;
    const i = this.sockets.indexOf(st);
    if (i >= 0) this.sockets.splice(i, 1);
    real.removeAllListeners('data');
    real.removeAllListeners('end');
    real.removeAllListeners('drain');
    if (real.destroyed) return;
    this.closing.add(real);
    real.on('close', () => this.closing.delete(real));
    real.end();
    real.resume();
  }

  _runEvents() {
    // jsiExecuteEvents runs until the queue is empty, events queued on the
    // way included. The cap only stops an endless emit loop from freezing Node.
    for (let n = 0; this.events.length && n < 100000 && !this.dead; n++) {
      const ev = this.events.shift();
      for (const fn of ev.fns) this._call(fn, ev.thisArg, ev.args);
    }
  }

  /** Would another pass change anything? (Blocked sends and idle sockets
   *  wait for a real socket event instead.) */
  _needsPass() {
    if (this.events.length) return true;
    for (const srv of this.servers) if (srv.pending.length) return true;
    for (const st of this.sockets) {
      const t = st.target;
      const listening = !!(st.listeners.data && st.listeners.data.length);
      if (t.clsNow || !t.conn || st.inqBytes) return true;
      if (t.dRcv && listening) return true;
      if (t.dSnd) {
        if (st.error || !(this.board.oneSendInFlight ? st.inFlight : st.real.writableNeedDrain)) return true;
      } else if (t.cls) return true;
      if ((st.error || st.peerEnded) && (!t.dRcv || st.buf === null || st.buf.length < STREAM_MAX_BUFFER_SIZE)) {
        return true;
      }
    }
    return false;
  }

  // ---- for tests -----------------------------------------------------------

  stats() {
    let listeners = 0, sendBuffered = 0, receiveBuffered = 0;
    for (const st of this.sockets) {
      for (const k of Object.keys(st.listeners)) listeners += st.listeners[k].length;
      sendBuffered += typeof st.target.dSnd === 'string' ? st.target.dSnd.length : 0;
      receiveBuffered += st.inqBytes + (st.target.dRcv ? st.target.dRcv.length : 0) + (st.buf ? st.buf.length : 0);
    }
    return {
      board: this.board.id,
      sockets: this.sockets.length,
      pendingAccepts: this.servers.reduce((n, s) => n + s.pending.length, 0),
      servers: this.servers.length,
      timers: this.timers.length,
      listeners,
      sendBuffered,
      receiveBuffered,
      queuedEvents: this.events.length,
      foreignFields: Array.from(this.foreign),
      uncaught: this.uncaught.slice(),
      hazards: this.hazards.slice(),
      errorFlags: Array.from(this.errorFlags),
      dataEvents: this.counters.dataEvents,
      maxDataEvent: this.counters.maxDataEvent,
      bytesReceived: this.counters.bytesReceived,
      bytesSent: this.counters.bytesSent,
      peers: this.sockets.map((st) => Object.assign({ socket: st.target.sckt }, st.peer))
    };
  }

  /** Runs code in the board's global scope (like typing it into the REPL). */
  evaluate(code) {
    if (this.dead) throw new Error('emulator closed');
    const r = vm.runInContext(code, this.ctx, { filename: 'espruino-repl' });
    this._schedule();
    return r;
  }

  /** Loads source as an Espruino module (src/jsparse.c, jspEvaluateModule):
   *  it runs in a scope holding `exports` and `module`, where module.exports
   *  is that same `exports` variable; `this` is the first exports object. */
  loadModule(source, filename) {
    const wrapper = '(function () { var exports = this, module = { get exports() { return exports; },' +
      ' set exports(v) { exports = v; } };' + source + '\n;return exports; })';
    const fn = new vm.Script(wrapper, { filename }).runInContext(this.ctx);
    const exportsObject = new this.C.Object();
    let result;
    try {
      result = fn.call(exportsObject);
    } finally {
      this._schedule();
    }
    return result;
  }

  /**
   * The boundary between the board and host (test) code, on the module's
   * public API: listeners that host code adds with on()/addListener() get
   * host-realm values (typed arrays as host views of the same memory,
   * ArrayBuffers and JSON-like objects and arrays as host copies), off() and
   * removeListener() find them again, and the module's plain functions
   * return host copies. Listeners from the board's own code are untouched.
   * Prototypes of objects handed to such listeners (the Sockets) are
   * adapted the same way when they first pass.
   */
  _openToHost(mod) {
    const C = this.C, adapted = new WeakSet(), wrappers = new WeakMap();
    const hostArg = (v) => {
      if (v === null || typeof v !== 'object' || v instanceof Object) return v;
      if (isTypedArray(v)) {
        const Ctor = globalThis[v.constructor.name] || Uint8Array;
        return new Ctor(v.buffer, v.byteOffset, v.length);
      }
      const proto = Object.getPrototypeOf(v);
      if (types.isAnyArrayBuffer(v) || Array.isArray(v) || proto === C.Object.prototype || proto === null) {
        return toHost(v);
      }
      if (proto && Object.prototype.hasOwnProperty.call(proto, 'on')) adapt(proto);
      return v;
    };
    const wrap = (fn) => {
      // Board functions (made in the vm realm) are not host Functions.
      if (typeof fn !== 'function' || !(fn instanceof Function)) return fn;
      let w = wrappers.get(fn);
      if (!w) {
        w = function () {
          return fn.apply(this, Array.prototype.map.call(arguments, hostArg));
        };
        wrappers.set(fn, w);
      }
      return w;
    };
    const adapt = (proto) => {
      if (adapted.has(proto)) return;
      adapted.add(proto);
      for (const name of ['on', 'addListener']) {
        const add = proto[name];
        if (typeof add === 'function') {
          proto[name] = function (event, fn) {
            return add.call(this, event, wrap(fn));
          };
        }
      }
      for (const name of ['off', 'removeListener']) {
        const remove = proto[name];
        if (typeof remove === 'function') {
          proto[name] = function (event, fn) {
            return remove.call(this, event, (typeof fn === 'function' && wrappers.get(fn)) || fn);
          };
        }
      }
    };
    for (const key of Object.keys(mod)) {
      const v = mod[key];
      if (typeof v !== 'function') continue;
      const proto = v.prototype;
      if (proto && Object.prototype.hasOwnProperty.call(proto, 'on')) adapt(proto);
      else if (!proto || Object.getOwnPropertyNames(proto).every((k) => k === 'constructor')) {
        mod[key] = function () {
          return hostArg(v.apply(this, arguments));
        };
      }
    }
    return mod;
  }

  close() {
    if (this.dead) return Promise.resolve();
    this.dead = true;
    for (const t of this.timers.slice()) this._dropTimer(t);
    this.events = [];
    const done = [];
    for (const srv of this.servers) {
      for (const sock of srv.pending) sock.destroy();
      done.push(new Promise((resolve) => srv.real.close(() => resolve())));
    }
    for (const st of this.sockets) st.real.destroy();
    for (const real of this.closing) real.destroy();
    this.servers = [];
    this.sockets = [];
    this.closing.clear();
    this.ports.clear();
    return Promise.all(done).then(() => undefined);
  }
}

function defaultLog(level, args) {
  if (level === 'uncaught' || level === 'error') console.error('[espruino]', ...args);
  else if (level === 'warn') console.warn('[espruino]', ...args);
  else console.log('[espruino]', ...args);
}

/** atob as jswrap_atob does it: whitespace skipped; any other character
 *  that is not base64 counts as a position but adds nothing (so it never
 *  throws); the length comes from the character count and trailing '='. */
function atobEspruino(s) {
  const isSpace = (c) => c === 9 || c === 10 || c === 11 || c === 12 || c === 13 || c === 32;
  const decode = (c) => {
    c &= 255;
    if (c >= 65 && c <= 90) return c - 65;
    if (c >= 97 && c <= 122) return c - 71;
    if (c >= 48 && c <= 57) return c + 4;
    if (c === 43) return 62;
    if (c === 47) return 63;
    return -1;
  };
  let count = 0, prev = 0, prevPrev = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) & 255;
    if (!isSpace(c)) {
      prevPrev = prev;
      prev = c;
      count++;
    }
  }
  let outLength = Math.floor((count * 3) / 4);
  if (prev === 61) outLength--;
  if (prevPrev === 61) outLength--;
  const out = Buffer.alloc(Math.max(0, outLength));
  let pos = 0, o = 0;
  while (pos < s.length) {
    let triple = 0, valid = 0;
    for (let i = 0; i < 4; i++) {
      if (pos >= s.length) continue;
      let c = 32;
      while (c && isSpace(c)) c = pos < s.length ? s.charCodeAt(pos++) & 255 : 0;
      const sextet = decode(c);
      if (sextet >= 0) {
        triple |= sextet << ((3 - i) * 6);
        valid = i;
      }
    }
    if (valid > 0 && o < out.length) out[o++] = (triple >> 16) & 255;
    if (valid > 1 && o < out.length) out[o++] = (triple >> 8) & 255;
    if (valid > 2 && o < out.length) out[o++] = triple & 255;
  }
  return out.toString('latin1');
}

/** E.CRC32: the standard CRC-32 (as zlib's crc32). */
function crc32(bytes) {
  let crc = -1;
  for (let i = 0; i < bytes.length; i++) {
    crc ^= bytes[i];
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ -1) >>> 0;
}

/** E.getSizeOf, estimated: Espruino counts JsVar blocks, which Node cannot
 *  see. One block per value and per property name, strings and typed arrays
 *  by their bytes; shared objects once. depth > 0 gives [{name, size}]. */
function estimateSize(v, depth, C, board) {
  const perBlock = board.memory.blocksize - 2;
  const seen = new Set();
  const size = (x) => {
    if (typeof x === 'string') return 1 + Math.ceil(Math.max(0, x.length - 4) / perBlock);
    if (x === null || (typeof x !== 'object' && typeof x !== 'function')) return 1;
    if (seen.has(x)) return 0;
    seen.add(x);
    if (types.isAnyArrayBuffer(x)) return 1 + Math.ceil(x.byteLength / board.memory.blocksize);
    if (ArrayBuffer.isView(x)) return 1 + size(x.buffer);
    let n = 1;
    for (const k of Object.keys(x)) n += 1 + size(x[k]);
    return n;
  };
  if (depth > 0 && v !== null && typeof v === 'object') {
    const out = new C.Array();
    for (const k of Object.keys(v)) {
      const item = new C.Object();
      item.name = k;
      item.size = size(v[k]);
      out.push(item);
    }
    return out;
  }
  return size(v);
}

/** Copies a value made in the board's realm into plain host objects (Uint8Array,
 *  Array, Object, Error), for strict comparisons in tests. */
function toHost(v, seen) {
  if (v === null || typeof v !== 'object') return v;
  const memo = seen || new Map();
  if (memo.has(v)) return memo.get(v);
  let out;
  if (types.isAnyArrayBuffer(v)) out = new Uint8Array(v).buffer.slice(0);
  else if (isTypedArray(v)) out = new (globalThis[v.constructor.name] || Uint8Array)(Array.prototype.slice.call(v));
  else if (Array.isArray(v)) {
    out = [];
    memo.set(v, out);
    for (let i = 0; i < v.length; i++) out.push(toHost(v[i], memo));
    return out;
  } else if (types.isNativeError(v) || Object.prototype.toString.call(v) === '[object Error]') {
    out = new Error(v.message);
    memo.set(v, out);
    for (const k of Object.keys(v)) out[k] = toHost(v[k], memo);
    return out;
  } else {
    out = {};
    memo.set(v, out);
    for (const k of Object.keys(v)) out[k] = toHost(v[k], memo);
    return out;
  }
  memo.set(v, out);
  return out;
}

/**
 * Loads the built bundle on an emulated board.
 * options.board: 'ESP32' (default) or 'ESP8266'; options.bundlePath: the
 * bundle file; options.log(level, args): where console output and
 * "Uncaught ..." reports go (default: the host console);
 * options.hostBoundary: false to hand host listeners the board's own values
 * (see Emulator#_openToHost).
 * Returns { module, stats, close, evaluate, emulator }.
 */
function loadBundle(options) {
  const o = options || {};
  if (!o.bundlePath) throw new Error('loadBundle: bundlePath is required');
  const emulator = new Emulator(o);
  const source = fs.readFileSync(o.bundlePath, 'utf8');
  const mod = emulator.loadModule(source, o.bundlePath);
  // An app on the board finds it as require("web-socket-server").
  emulator.modules['web-socket-server'] = mod;
  if (o.hostBoundary !== false && mod !== null && typeof mod === 'object') emulator._openToHost(mod);
  return {
    module: mod,
    stats: () => emulator.stats(),
    close: () => emulator.close(),
    evaluate: (code) => emulator.evaluate(code),
    emulator
  };
}

module.exports = { loadBundle, freePort, toHost, BOARDS };
