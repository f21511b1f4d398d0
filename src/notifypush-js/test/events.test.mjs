// The client's event emitter (notifypush-events.js) on its own: handlers in order, removal, a handler's error
// reported and never thrown at the emitter, and notification handlers run one after another.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Emitter } from '../notifypush-events.js';
import { gate, waitFor } from './support/wait.mjs';

/** console.error while a test runs: what an emitter with no `error` handler prints. */
let printed;
const consoleError = console.error;
beforeEach(() => {
  printed = [];
  console.error = (...args) => printed.push(args);
});
afterEach(() => {
  console.error = consoleError;
});

describe('on, off, emit', () => {
  test('emit calls the handlers of that event in the order they were added, with the detail', () => {
    const events = new Emitter();
    const calls = [];
    events.on('state', (detail) => calls.push(['first', detail]));
    events.on('state', (detail) => calls.push(['second', detail]));
    events.on('role', (detail) => calls.push(['role', detail]));

    events.emit('state', { state: 'live', previous: 'syncing' });

    assert.deepEqual(calls, [['first', { state: 'live', previous: 'syncing' }], ['second', { state: 'live', previous: 'syncing' }]]);
  });

  test('an event nobody listens to is dropped', () => {
    const events = new Emitter();
    events.emit('connected', { userId: 'u1', connectionId: 'c1', heartbeatSeconds: 25, transport: 'websocket' });
    assert.deepEqual(printed, []);
  });

  test('the function on returns removes the handler, as off does, and adding one twice calls it once', () => {
    const events = new Emitter();
    const calls = [];
    const a = () => calls.push('a');
    const b = () => calls.push('b');
    const removeA = events.on('synced', a);
    events.on('synced', b);
    events.on('synced', b);

    events.emit('synced', { seq: 1, recovered: true });
    removeA();
    events.emit('synced', { seq: 2, recovered: true });
    events.off('synced', b);
    events.emit('synced', { seq: 3, recovered: true });

    assert.deepEqual(calls, ['a', 'b', 'b']);
  });

  test('a handler added or removed while an event is emitted counts from the next event', () => {
    const events = new Emitter();
    const calls = [];
    const late = () => calls.push('late');
    const second = () => calls.push('second');
    events.on('state', () => {
      calls.push('first');
      events.off('state', second);
      events.on('state', late);
    });
    events.on('state', second);

    events.emit('state', { state: 'connecting', previous: 'idle' });
    assert.deepEqual(calls, ['first', 'second']);
  });
});

describe('errors', () => {
  test('a handler that throws becomes an error event, and the handlers after it still run', () => {
    const events = new Emitter();
    const failure = new Error('handler bug');
    const errors = [];
    let after = false;
    events.on('error', ({ error }) => errors.push(error));
    events.on('state', () => {
      throw failure;
    });
    events.on('state', () => {
      after = true;
    });

    events.emit('state', { state: 'live', previous: 'syncing' });

    assert.deepEqual(errors, [failure]);
    assert.ok(after);
  });

  test('a handler whose promise rejects becomes an error event once it rejects', async () => {
    const events = new Emitter();
    const failure = new Error('async handler bug');
    const errors = [];
    events.on('error', ({ error }) => errors.push(error));
    events.on('connected', async () => {
      throw failure;
    });

    events.emit('connected', { userId: 'u1', connectionId: 'c1', heartbeatSeconds: 25, transport: 'websocket' });

    await waitFor(() => errors.length === 1, { timeoutMs: 5_000, message: 'the error event' });
    assert.equal(errors[0], failure);
  });

  test('without an error handler, the error goes to the console', () => {
    const events = new Emitter();
    const failure = new Error('nobody listens');
    events.on('stopped', () => {
      throw failure;
    });

    events.emit('stopped', { code: 1000, reason: 'stopped by the application' });

    assert.deepEqual(printed, [['NotifyPush:', failure]]);
  });

  test('an error handler that throws is not reported again (it would loop)', () => {
    const events = new Emitter();
    let calls = 0;
    events.on('error', () => {
      calls++;
      throw new Error('error handler bug');
    });

    events.error(new Error('first'));

    assert.equal(calls, 1);
    assert.deepEqual(printed, []);
  });
});

describe('emitInTurn', () => {
  test('runs each handler once the previous one settled, and resolves after the last', async () => {
    const events = new Emitter();
    const first = gate();
    const calls = [];
    events.on('notification', async (n) => {
      calls.push(`first ${n.seq} started`);
      await first.promise;
      calls.push(`first ${n.seq} done`);
    });
    events.on('notification', (n) => {
      calls.push(`second ${n.seq}`);
    });

    let resolved = false;
    const done = events.emitInTurn('notification', notification(1)).then(() => {
      resolved = true;
    });
    await Promise.resolve();
    assert.deepEqual(calls, ['first 1 started'], 'the second handler waits for the first');
    assert.equal(resolved, false);

    first.open();
    await done;
    assert.deepEqual(calls, ['first 1 started', 'first 1 done', 'second 1']);
  });

  test('a handler that rejects is reported and the next still runs; the promise resolves', async () => {
    const events = new Emitter();
    const failure = new Error('handler bug');
    const errors = [];
    const calls = [];
    events.on('error', ({ error }) => errors.push(error));
    events.on('notification', async () => {
      throw failure;
    });
    events.on('notification', (n) => calls.push(n.seq));

    await events.emitInTurn('notification', notification(7));

    assert.deepEqual(errors, [failure]);
    assert.deepEqual(calls, [7]);
  });
});

/** A notification as the client hands it to the handlers. @param {number} seq */
function notification(seq) {
  return { seq, id: `n${seq}`, event: 'test', payload: { seq }, createdAt: '2026-01-01T00:00:00Z', replayed: false };
}
