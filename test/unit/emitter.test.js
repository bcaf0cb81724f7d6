// The emitter (emitter.ts): one listener is kept as the function itself, a
// list from the second on; either way listeners run in the order they were
// added, a listener added or removed while an event is emitted does not
// change who gets that event, and what a listener throws goes to 'error'.
'use strict';
const assert = require('assert');
const h = require('./helpers');

describe('emitter', function () {
  const { on, off, emit } = h.load('emitter');

  /** An emitter as the Server and Socket are: the three methods and _ev. */
  function emitter() {
    return { _ev: {}, on, off, removeListener: off, emit };
  }

  it('calls one listener with the emitter as this and both arguments, and says whether anyone listened', function () {
    const e = emitter(), got = [];
    assert.strictEqual(e.emit('message', 1, 2), false);
    e.on('message', function (a, b) {
      got.push([this, a, b]);
    });
    assert.strictEqual(e.emit('message', 'x', true), true);
    assert.deepStrictEqual(got, [[e, 'x', true]]);
  });

  it('keeps one listener as the function itself and makes a list for the second', function () {
    const e = emitter(), f = () => {}, g = () => {};
    e.on('close', f);
    assert.strictEqual(e._ev.close, f);
    e.on('close', g);
    assert.deepStrictEqual(e._ev.close, [f, g]);
  });

  it('calls several listeners in the order they were added', function () {
    const e = emitter(), got = [];
    for (let i = 0; i < 4; i++) e.on('message', (m) => got.push(i + m));
    e.emit('message', ':a');
    assert.deepStrictEqual(got, ['0:a', '1:a', '2:a', '3:a']);
  });

  it('removes a listener, from one or from a list, and leaves no key once the last is gone', function () {
    const e = emitter(), got = [], f = () => got.push('f'), g = () => got.push('g');
    e.on('drain', f).off('drain', f);
    assert.strictEqual('drain' in e._ev, false);
    assert.strictEqual(e.emit('drain'), false);
    e.on('drain', f).on('drain', g).removeListener('drain', f);
    e.emit('drain');
    assert.deepStrictEqual(got, ['g']);
    e.off('drain', g);
    assert.strictEqual('drain' in e._ev, false);
  });

  it('ignores removing a listener that was never added, one or in a list', function () {
    const e = emitter(), got = [], f = () => got.push('f'), g = () => got.push('g');
    e.off('open', f);
    e.on('open', f).off('open', g);
    e.emit('open');
    e.on('open', f).off('open', g);
    e.emit('open');
    assert.deepStrictEqual(got, ['f', 'f', 'f']);
  });

  it('a listener added or removed during an emit changes the next emit, not this one', function () {
    const e = emitter(), got = [];
    const late = () => got.push('late');
    const second = () => got.push('second');
    e.on('message', () => {
      got.push('first');
      e.on('message', late);
      e.off('message', second);
    });
    e.on('message', second);
    e.emit('message');
    e.emit('message');
    assert.deepStrictEqual(got, ['first', 'second', 'first', 'late']);
  });

  it('a single listener that adds another during an emit: the new one runs from the next emit', function () {
    const e = emitter(), got = [];
    e.on('message', () => {
      got.push('only');
      if (got.length == 1) e.on('message', () => got.push('added'));
    });
    e.emit('message');
    e.emit('message');
    assert.deepStrictEqual(got, ['only', 'only', 'added']);
  });

  it('what a listener throws goes to error, and the next listener still runs', function () {
    const e = emitter(), got = [];
    e.on('error', (err) => got.push('error: ' + err.message));
    e.on('message', () => {
      throw new Error('boom');
    });
    e.on('message', () => got.push('next'));
    e.emit('message');
    assert.deepStrictEqual(got, ['error: boom', 'next']);
  });

  it('what an error listener throws is dropped, not thrown or emitted again', function () {
    const e = emitter();
    let calls = 0;
    e.on('error', () => {
      calls++;
      throw new Error('again');
    });
    assert.strictEqual(e.emit('error', new Error('first')), true);
    assert.strictEqual(calls, 1);
  });
});
