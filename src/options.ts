// The Server's options: each one checked when the server is made, then the
// defaults filled in (the target's for the limits).

import { Options, Conversion } from './record';
import { host } from './host';
import { supportedReceiveTypes } from './message-types';
import { EXTRAS } from './features';

/**
 * The options as given, checked, with the defaults filled in. Throws a
 * TypeError naming an option that is unknown (a misspelled security option
 * must not be ignored), or whose value is of the wrong type or range. A port
 * may be a string of digits (hosts pass parameters as strings); null,
 * undefined and an empty hostInterface mean the default. The small module
 * refuses the optional features' options (features.ts), naming them, rather
 * than ignore one.
 *
 * (The tables are made here, when a server is made, rather than kept: on a
 * board only what runs costs memory. And no function is made here: with
 * the call's scope it would form a pair that Espruino's reference counts
 * cannot free, holding the tables, some 200 blocks, until a garbage
 * collection; docs/design.md.)
 */
export function checkOptions(given: any): Options {
  // The options by their public names, checked, with the defaults; then the
  // record, in which an option that is off unless given (origins, path,
  // verify, protocols, sslTls and its PFX file) is no field at all: on a
  // board each field costs a block or two for as long as the server runs.
  var types = supportedReceiveTypes(), limits: any = host._defaults(), r: any, o: any = {
    hostInterface: 'localhost', port: 80, receiveType: types[Conversion.JSON], sendType: types[Conversion.JSON]
  }, kinds: any = {
    // What each option takes; the limits are whole numbers, 0 or more.
    hostInterface: 's', port: 'p', receiveType: 't', sendType: 't', queuePolicy: 'q', writeSize: '+',
    path: '/', origins: 'a', verify: 'f', protocols: 'a', sslTls: 'b', pfxKeyCertPath: 's', pfxKeyCertPassword: 's'
  }, takes: any = {
    s: 'a string',
    p: 'a port, 0 to 65535',
    t: 'one of ' + types.join(', ') + ' or another text/* type',
    q: "'fail', 'close' or 'latest'",
    n: 'a whole number, 0 or more',
    '+': 'a whole number, 1 or more',
    '/': 'a path starting with /',
    a: 'an array of strings',
    f: 'a function',
    b: 'true or false'
  }, optional = ['path', 'verify', 'protocols', 'maxFragments', 'idleTimeout'], k, v, kind, fits, i;

  if (EXTRAS) o.queuePolicy = 'fail';
  for (k in limits) {
    o[k] = limits[k];
    if (!kinds[k]) kinds[k] = 'n';
  }
  for (k in given) {
    v = given[k];
    kind = kinds[k];
    if (!kind) throw new TypeError('unknown option ' + k + '; the options are ' + Object.keys(kinds).join(', '));
    if (kind == 'p' && typeof v == 'string' && /^[0-9]+$/.test(v)) v = +v;
    if (v == null || (k == 'hostInterface' && v === '')) continue;
    // Does v fit the kind of value the option takes?
    if (kind == 'a') {
      fits = Array.isArray(v);
      for (i = 0; fits && i < v.length; i++) fits = typeof v[i] == 'string';
    } else if (kind == 'f') fits = typeof v == 'function';
    else if (kind == 'b') fits = typeof v == 'boolean';
    else if (typeof v == 'string') {
      fits = kind == 's' || (kind == 'q' && ['fail', 'close', 'latest'].indexOf(v) >= 0) || (kind == '/' && v.charAt(0) == '/') ||
        (kind == 't' && (types.indexOf(v) >= 0 || v.slice(0, 5) == 'text/'));
    } else fits = typeof v == 'number' && v % 1 == 0 && v >= (kind == '+' ? 1 : 0) && (kind == 'p' ? v <= 65535 : kind == 'n' || kind == '+');
    if (!fits) {
      throw new TypeError('option ' + k + ' takes ' + takes[kind] + ', not ' + (typeof v == 'string' ? JSON.stringify(v) : String(v)));
    }
    if (!EXTRAS && v && (optional.indexOf(k) >= 0 || (k == 'queuePolicy' && v != 'fail'))) {
      throw new TypeError((k == 'queuePolicy' ? "queuePolicy '" + v + "'" : k) + ': only in web-socket-server-full');
    }
    o[k] = v;
  }
  if (o.sslTls && !host._tls) throw new TypeError('option sslTls: this target has no TLS server (wss://); put a TLS proxy in front of it');
  if (o.sslTls && !o.pfxKeyCertPath) throw new TypeError('option sslTls needs pfxKeyCertPath: the PFX (PKCS#12) file of the key and certificate');
  // The record the core reads (record.ts, Options), field by field: the
  // minifier renames its fields, so they cannot be made from the names.
  r = {
    _hostInterface: o.hostInterface,
    _port: o.port,
    // A type's Conversion is its place in the list of types; any other
    // text/* type is text.
    _receiveType: (i = types.indexOf(o.receiveType)) < 0 ? Conversion.TEXT : i,
    _sendType: (i = types.indexOf(o.sendType)) < 0 ? Conversion.TEXT : i,
    _maxPayload: o.maxPayload,
    _maxHeader: o.maxHeader,
    _maxConnections: o.maxConnections,
    _maxQueue: o.maxQueue,
    _fragment: o.fragment,
    _writeSize: o.writeSize,
    _handshakeTimeout: o.handshakeTimeout,
    _closeTimeout: o.closeTimeout,
    _pingInterval: o.pingInterval,
    _pongTimeout: o.pongTimeout,
    _minFree: o.minFree
  };
  if (o.origins) r._origins = o.origins;
  if (EXTRAS) {
    r._queuePolicy = o.queuePolicy;
    r._maxFragments = o.maxFragments;
    r._idleTimeout = o.idleTimeout;
    if (o.path) r._path = o.path;
    if (o.verify) r._verify = o.verify;
    if (o.protocols) r._protocols = o.protocols;
  }
  if (o.sslTls) {
    r._sslTls = true;
    r._pfxKeyCertPath = o.pfxKeyCertPath;
    r._pfxKeyCertPassword = o.pfxKeyCertPassword;
  }
  return r;
}
