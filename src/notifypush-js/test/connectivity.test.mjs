// The connectivity watcher (notifypush-connectivity.js) on its own, on an EventTarget standing in for the window:
// what `offline` and `online` tell the client, and when the watcher listens at all. The client's reaction (the
// socket closed, the reconnect at once) is covered in client.test.mjs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConnectivityWatcher } from '../notifypush-connectivity.js';

/** A watcher on a fresh EventTarget; `concerned` answers what the test sets, `calls` records what it is told. */
function watcherOn(target = new EventTarget()) {
  const calls = [];
  const state = { concerned: true };
  const watcher = new ConnectivityWatcher(target, {
    concerned: () => state.concerned,
    offline: () => calls.push(['offline', watcher.offline]),
    online: () => calls.push(['online', watcher.offline]),
  });
  return { target, watcher, calls, state };
}

const offline = (target) => target.dispatchEvent(new Event('offline'));
const online = (target) => target.dispatchEvent(new Event('online'));

describe('connectivity watcher', () => {
  test('offline, then online: each is told once, and offline reads true in between', () => {
    const { target, watcher, calls } = watcherOn();
    watcher.watch();

    assert.equal(watcher.offline, false);
    offline(target);
    assert.equal(watcher.offline, true);
    online(target);

    assert.equal(watcher.offline, false);
    assert.deepEqual(calls, [['offline', true], ['online', false]]);
  });

  test('an offline that does not concern the client (a follower, a stopped client) is ignored, and so is the online after it', () => {
    const { target, watcher, calls, state } = watcherOn();
    watcher.watch();
    state.concerned = false;

    offline(target);
    online(target);

    assert.equal(watcher.offline, false);
    assert.deepEqual(calls, []);
  });

  test('online without an offline before it tells nothing', () => {
    const { target, watcher, calls } = watcherOn();
    watcher.watch();

    online(target);

    assert.deepEqual(calls, []);
  });

  test('nothing is heard before watch or after unwatch', () => {
    const { target, watcher, calls } = watcherOn();
    offline(target);
    assert.equal(watcher.offline, false, 'not watching yet');

    watcher.watch();
    watcher.unwatch();
    offline(target);

    assert.equal(watcher.offline, false);
    assert.deepEqual(calls, []);
  });

  test('watch starts online again: a client stopped while offline restarts online', () => {
    const { target, watcher, calls } = watcherOn();
    watcher.watch();
    offline(target);
    watcher.unwatch();

    watcher.watch();

    assert.equal(watcher.offline, false);
    offline(target);
    assert.deepEqual(calls, [['offline', true], ['offline', true]], 'listening again, once');
  });

  test('without a target (connectivity: null) it never goes offline', () => {
    const { watcher } = watcherOn(null);
    watcher.watch();
    assert.equal(watcher.offline, false);
    watcher.unwatch();
  });
});
