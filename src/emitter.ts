// A small synchronous event emitter, the same on every target. (Espruino's
// built-in emit is asynchronous and takes at most 4 arguments.) A listener
// that throws cannot break the caller: the exception is emitted as 'error'
// (and dropped if an 'error' listener is what threw). Nothing is emitted on
// a socket after its 'close': what a 'close' listener throws goes to the
// server's 'error' (see _errorsTo).
//
// Its methods are put on the Server and Socket prototypes (less code than
// class inheritance in ES5); their constructors set _ev to {}.
//
// An event with one listener keeps the function itself, as Node's emitter
// does; a list is made for the second. Most events have one listener, and
// on a board a list costs 2 blocks more, per event and per socket.
//
// A short message's lone 'message' listener is called by receive()
// (incoming/receive.ts) itself, by these same rules: a call less per
// message on a board. A change to them here is one there too.

export interface Emitter {
  on(event: string, fn: Function): this;
  /** Removes one listener (also named removeListener). */
  off(event: string, fn: Function): this;
  removeListener(event: string, fn: Function): this;
  /** Calls each listener in order; true if there was any. */
  emit(event: string, a?: any, b?: any): boolean;
  /** @internal listeners by event name: the one function, or a list of
   *  them; no key for an event without listeners */
  _ev: { [event: string]: Function | Function[] };
  /** @internal Where listeners' exceptions go, if not to this emitter's own
   *  'error' (a closed socket sends them to its server). */
  _errorsTo?: Emitter;
}

export function on(this: Emitter, event: string, fn: Function): Emitter {
  'rarely run';
  var ev = this._ev, l: any = ev[event];
  if (!l) ev[event] = fn;
  else if (typeof l == 'function') ev[event] = [l, fn];
  else l.push(fn);
  return this;
}

export function off(this: Emitter, event: string, fn: Function): Emitter {
  'rarely run';
  var ev = this._ev, l: any = ev[event], i;
  if (l === fn) delete ev[event];
  else if (l && typeof l != 'function' && (i = l.indexOf(fn)) >= 0) {
    l.splice(i, 1);
    if (!l.length) delete ev[event];
  }
  return this;
}

export function emit(this: Emitter, event: string, a?: any, b?: any): boolean {
  'ram if full';
  var l: any = this._ev[event], one = typeof l == 'function', n = one ? 1 : l ? l.length : 0, i = 0;
  // A copy of a list, as listeners may add or remove listeners.
  if (n > 1) l = l.slice();
  for (; i < n; i++) {
    try {
      (one ? l : l[i]).call(this, a, b);
    } catch (e) {
      if (event != 'error') (this._errorsTo || this).emit('error', e);
    }
  }
  return n > 0;
}
