// A small synchronous event emitter, the same on every target. (Espruino's
// built-in emit is asynchronous and takes at most 4 arguments.) A listener
// that throws cannot break the caller: the exception goes to onThrow.

export class Emitter {
  private _ev: { [event: string]: Function[] } = {};

  on(event: string, fn: Function): this {
    var ev = this._ev;
    (ev[event] || (ev[event] = [])).push(fn);
    return this;
  }

  off(event: string, fn: Function): this {
    var list = this._ev[event];
    if (list) {
      var i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
      if (!list.length) delete this._ev[event];
    }
    return this;
  }

  removeAllListeners(event?: string): this {
    if (event === undefined) this._ev = {};
    else delete this._ev[event];
    return this;
  }

  listenerCount(event: string): number {
    var list = this._ev[event];
    return list ? list.length : 0;
  }

  /** Calls each listener in order; true if there was any. */
  emit(event: string, a?: any, b?: any): boolean {
    var list = this._ev[event];
    if (!list) return false;
    list = list.slice();
    for (var i = 0; i < list.length; i++) {
      try {
        list[i].call(this, a, b);
      } catch (e) {
        this._onThrow(e, event);
      }
    }
    return true;
  }

  /** A listener threw: report it as an 'error' event, unless an 'error'
   *  listener is what threw, in which case it is dropped. */
  protected _onThrow(e: any, event: string): void {
    if (event != 'error') this.emit('error', e);
  }
}
