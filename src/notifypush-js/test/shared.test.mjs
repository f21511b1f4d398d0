// Shared mode in Node: "tabs" are clients in one process, Node's BroadcastChannel relays between them as a
// browser's does, and a small lock manager stands in for navigator.locks (Node 20 has no Web Locks). The real
// browser behaviour (tabs closing, the browser releasing the lock) is covered by the Chromium tests.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, test } from 'node:test';
import { NotifyPushClient } from '../notifypush.js';
import { NotifyPushServer } from './support/server.mjs';
import { framesOf, recordingWebSocket } from './support/sockets.mjs';
import { EventLog, range, waitFor } from './support/wait.mjs';

const TEST_TIMEOUT = { timeout: 90_000 };
assert.equal(typeof globalThis.WebSocket, 'function', 'run with node --experimental-websocket (Node 20) or Node 22+');

/** Exclusive locks granted in request order, with navigator.locks.request's signature and abort rules. */
class InProcessLocks {
  #queues = new Map();

  request(name, options, callback) {
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new DOMException('The request was aborted.', 'AbortError'));
        return;
      }
      const queue = this.#queues.get(name) ?? [];
      this.#queues.set(name, queue);
      const entry = { callback, resolve, reject };
      queue.push(entry);
      // Aborting only withdraws a request still waiting; a granted lock is held until the callback settles.
      options.signal?.addEventListener('abort', () => {
        const index = queue.indexOf(entry);
        if (index > 0) {
          queue.splice(index, 1);
          reject(new DOMException('The request was aborted.', 'AbortError'));
        }
      }, { once: true });
      if (queue.length === 1) this.#grant(name);
    });
  }

  async #grant(name) {
    const queue = this.#queues.get(name);
    const entry = queue[0];
    if (!entry) return;
    try {
      entry.resolve(await entry.callback({ name, mode: 'exclusive' }));
    } catch (error) {
      entry.reject(error);
    }
    queue.shift();
    this.#grant(name);
  }
}

let server;
const running = [];

before(async () => {
  server = await NotifyPushServer.start();
}, { timeout: 120_000 });

after(async () => {
  await server?.dispose();
});

afterEach(() => {
  for (const client of running.splice(0)) client.stop();
});

function newTab(user, locks, wire, name) {
  const client = new NotifyPushClient({
    url: server.socketUrl,
    getToken: () => server.token(user),
    backoff: { firstMs: 100, maxMs: 1000 },
    heartbeatGraceMs: 4000,
    shared: { name },
    locks,
    BroadcastChannel: globalThis.BroadcastChannel,
    WebSocket: wire.WebSocket,
    connectivity: null,
  });
  running.push(client);
  return { client, log: new EventLog(client) };
}

/** Runs `step`; on failure adds what every tab and socket saw to the error, so a rare failure explains itself. */
async function explained(step, tabs, wire) {
  try {
    return await step();
  } catch (error) {
    const lines = Object.entries(tabs).map(([name, { client, log }]) =>
      `${name}: ${client.role} ${client.state} position ${client.position} handled [${log.notifications}] events ` +
      JSON.stringify(log.events.map((e) => [e.name, e.detail.state ?? e.detail.role ?? e.detail.code ?? e.detail.seq ?? ''])));
    for (const socket of wire.sockets) {
      lines.push(`socket ${socket.url.search.replace(/access_token=[^&]*/, 'access_token=…')}: ` +
        socket.received.map((f) => f.type + (f.seq ?? '')).join(' '));
    }
    error.message += `\n${lines.join('\n')}`;
    throw error;
  }
}

test('tabs share one socket; when the leader leaves the next tab resumes from its own position', TEST_TIMEOUT, async () => {
  const user = `js-${randomUUID()}`;
  const name = `notifypush-${user}`;
  const locks = new InProcessLocks();
  const wire = recordingWebSocket();
  const a = newTab(user, locks, wire, name);
  const b = newTab(user, locks, wire, name);
  const c = newTab(user, locks, wire, name);
  const tabs = { a, b, c };
  a.client.start();
  await a.log.next('synced');
  b.client.start();
  c.client.start();
  await waitFor(() => b.client.state === 'live' && c.client.state === 'live', { message: 'followers see the live state' });

  assert.deepEqual([a.client.role, b.client.role, c.client.role], ['leader', 'follower', 'follower']);
  for (let i = 0; i < 3; i++) await server.send(user);
  await Promise.all([a, b, c].map((tab) => tab.log.seen(3)));
  assert.equal(wire.sockets.length, 1, 'one socket for three tabs');

  a.client.stop(); // the leader's tab goes away
  await explained(async () => {
    await b.log.next('role', { filter: (e) => e.role === 'leader' });
    await b.log.next('synced');
    for (let i = 0; i < 2; i++) await server.send(user);
    await Promise.all([b, c].map((tab) => tab.log.seen(5, 60_000)));
  }, tabs, wire);

  assert.equal(c.log.all('connected').length, 2, 'one connected per leader socket, none for another tab joining');
  assert.deepEqual(a.log.notifications, range(1, 3));
  assert.deepEqual(b.log.notifications, range(1, 5));
  assert.deepEqual(c.log.notifications, range(1, 5));
  assert.equal(c.client.role, 'follower');
  assert.equal(wire.sockets.length, 2);
  assert.equal(wire.sockets[1].url.searchParams.get('since'), '3', 'the new leader resumes from its own position');
  // Only the socket owner acknowledges, and never beyond what its socket delivered.
  assert.ok(framesOf(wire.sockets, 'sent', 'ack').length >= 1);
  await waitFor(async () => (await server.history(user)).ackedSeq === 5, { message: 'ackedSeq 5' });
});

test('a sign-out (4003) stops every tab', TEST_TIMEOUT, async () => {
  const user = `js-${randomUUID()}`;
  const name = `notifypush-${user}`;
  const locks = new InProcessLocks();
  const wire = recordingWebSocket();
  const a = newTab(user, locks, wire, name);
  const b = newTab(user, locks, wire, name);
  a.client.start();
  await a.log.next('synced');
  b.client.start();
  await waitFor(() => b.client.state === 'live', { message: 'the follower sees the live state' });

  await server.signOut(user);
  const [stoppedA, stoppedB] = await Promise.all([a.log.next('stopped'), b.log.next('stopped')]);
  assert.equal(stoppedA.code, 4003);
  assert.equal(stoppedB.code, 4003);
  assert.equal(b.client.state, 'stopped');
  assert.equal(a.client.state, 'stopped');
});

test('without Web Locks or BroadcastChannel the client runs solo', TEST_TIMEOUT, async () => {
  const user = `js-${randomUUID()}`;
  const client = new NotifyPushClient({
    url: server.socketUrl,
    getToken: () => server.token(user),
    shared: true,
    locks: null,
    WebSocket: globalThis.WebSocket,
    connectivity: null,
  });
  running.push(client);
  const log = new EventLog(client);
  client.start();
  await log.next('synced');
  assert.equal(client.role, 'solo');
});
