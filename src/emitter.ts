// A small synchronous event emitter, the same on every target. (Espruino's
// built-in emit is asynchronous and takes at most 4 arguments.) A listener
// that throws cannot break the caller: the exception is emitted as 'error'
// (and dropped if an 'error' listener is what threw). Nothing is emitted on
// a socket after its 'close': what a 'close' listener throws goes to the
// server's 'error' (see _errorsTo).
//
// Its methods are put on the Server and Socket prototypes (less code than
// class inheritance in ES5); their constructors set _ev to {}.

export interface Emitter {
  on(event: string, fn: Function): this;
  /** Removes one listener (also named removeListener). */
  off(event: string, fn: Function): this;
  removeListener(event: string, fn: Function): this;
  /** Calls each listener in order; true if there was any. */
  emit(event: string, a?: any, b?: any): boolean;
  /** @internal listeners by event name */
  _ev: { [event: string]: Function[] };
  /** @internal Where listeners' exceptions go, if not to this emitter's own
   *  'error' (a closed socket sends them to its server). */
  _errorsTo?: Emitter;
}

export function on(this: Emitter, event: string, fn: Function): Emitter {
  (this._ev[event] || (this._ev[event] = [])).push(fn);
  return this;
}

export function off(this: Emitter, event: string, fn: Function): Emitter {
  var list = this._ev[event] || [], i = list.indexOf(fn);
  if (i >= 0) list.splice(i, 1);
  return this;
}

export function emit(this: Emitter, event: string, a?: any, b?: any): boolean {
  'ram if full';
  var list = this._ev[event], n = list ? list.length : 0, i = 0;
  // A copy, as listeners may add or remove listeners; not for the one
  // listener most events have.
  if (n > 1) list = list.slice();
  for (; i < n; i++) {
    try {
      list![i].call(this, a, b);
    } catch (e) {
      if (event != 'error') (this._errorsTo || this).emit('error', e);
    }
  }
  return n > 0;
}
