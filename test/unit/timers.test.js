// The connection's one timer (timers.ts), fired by hand: nothing it does may
// throw out of the timer, where no one would catch it.
'use strict';
const assert = require('assert');
const h = require('./helpers');

describe('timers', function () {
  const { host } = h.load('host');
  let saved, due;

  beforeEach(function () {
    saved = { _timer: host._timer, _cancel: host._cancel, _kick: host._kick };
    due = [];
    // Timers are recorded, not run: the test fires them.
    host._timer = (fn, ms, s) => due.push({ fn, ms, s });
    host._cancel = () => {};
  });

  afterEach(function () {
    Object.assign(host, saved);
  });

  it('the heartbeat queues a ping when pingInterval passes, then waits pongTimeout for the pong', function () {
    const t = h.openConn({ limits: { pingInterval: 1000, pongTimeout: 500 } });
    const ping = due[due.length - 1];
    assert.strictEqual(ping.ms, 1000);
    ping.fn(ping.s);
    const f = t.frames();
    assert.deepStrictEqual(f.map((x) => x.opcode), [9], 'one ping');
    assert.strictEqual(due[due.length - 1].ms, 500, 'then the pong timer');
    assert.strictEqual(t.conn._state, 1);
  });

  it('a ping that cannot be made (a board out of memory) cuts that connection alone, and nothing throws out of the timer', function () {
    const t = h.openConn({ limits: { pingInterval: 1000, pongTimeout: 500 } });
    const other = h.openConn({ limits: { pingInterval: 1000, pongTimeout: 500 } });
    const ping = due.find((d) => d.s === t.conn && d.ms == 1000);
    host._kick = () => {
      throw new Error('out of memory');
    };
    assert.doesNotThrow(() => ping.fn(ping.s));
    host._kick = saved._kick;
    assert.strictEqual(t.conn._state, 3, 'closed for the application');
    assert.strictEqual(t.conn._sock.destroyed, true, 'the TCP connection is dropped');
    assert.strictEqual(t.conn.isOpen(), false);
    assert.strictEqual(t.conn.send('x'), false);
    // The other connection goes on.
    assert.strictEqual(other.conn._state, 1);
    other.receive(h.text('still here'));
    assert.deepStrictEqual(other.messages().map((m) => m.data.toString()), ['still here']);
  });
});
