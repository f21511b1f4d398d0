// Shared mode in Node: "tabs" are clients in one process, Node's BroadcastChannel relays between them as a
// browser's does, and a small lock manager stands in for navigator.locks (Node 20 has no Web Locks). The real
// browser behaviour (tabs closing, the browser releasing the lock) is covered by the Chromium tests.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, test } from 'node:test';
import { EventSource } from 'eventsource';
import { NotifyPushClient } from '../notifypush.js';
import { Emitter } from '../notifypush-events.js';
import { notificationItem } from '../notifypush-protocol.js';
import { HandlerQueue } from '../notifypush-queue.js';
import { SharedTabs } from '../notifypush-shared.js';
import { NotifyPushServer } from './support/server.mjs';
import { framesOf, recordingWebSocket } from './support/sockets.mjs';
import { EventLog, gate, range, waitFor } from './support/wait.mjs';
import { TestWebSocket } from './support/websocket.mjs';

const TEST_TIMEOUT = { timeout: 90_000 };

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

/**
 * A tab of `user` in the shared group `name`, connecting to `via` (default: the file's server); `options`
 * override the client's (e.g. `since`, a gated `getToken`).
 */
function newTab(user, locks, wire, name, { via = server, ...options } = {}) {
  const client = new NotifyPushClient({
    url: via.socketUrl,
    getToken: () => via.token(user),
    backoff: { firstMs: 100, maxMs: 1000 },
    heartbeatGraceMs: 4000,
    shared: { name },
    locks,
    BroadcastChannel: globalThis.BroadcastChannel,
    WebSocket: wire.WebSocket,
    connectivity: null,
    ...options,
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
  // The group is picked once the token is in: b queues for the lock before c starts, so b is next in line.
  await waitFor(() => b.client.role === 'follower', { message: 'b follows' });
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
    WebSocket: TestWebSocket,
    connectivity: null,
  });
  running.push(client);
  const log = new EventLog(client);
  client.start();
  await log.next('synced');
  assert.equal(client.role, 'solo');
});

// ---- a follower behind the stream catches up ----------------------------------------------------------------

/** The recorded sockets opened with `since`. */
function socketsWithSince(wire, since) {
  return wire.sockets.filter((s) => s.url.searchParams.get('since') === String(since));
}

/** A BroadcastChannel that records what this tab's channel received, for waiting until a relay has reached it. */
function recordingChannel() {
  const messages = [];
  class RecordingChannel extends globalThis.BroadcastChannel {
    constructor(name) {
      super(name);
      // Dispatched with the client's onmessage: once it is recorded, the client has handled it.
      this.addEventListener('message', (event) => messages.push(event.data));
    }
  }
  const relayed = (seq) => messages.some((m) => m?.t === 'item' && m.item.notification?.seq === seq);
  return { BroadcastChannel: RecordingChannel, relayed };
}

/** WebSockets whose incoming frames wait until `release()`: a slow network between the server and this tab. */
function holdingWebSocket(Base) {
  const held = gate();
  class HoldingWebSocket extends Base {
    #handler = null;

    get onmessage() {
      return this.#handler;
    }

    set onmessage(handler) {
      this.#handler = handler;
      // Read when released, in order; a frame of a socket the client has let go of meanwhile is never read.
      super.onmessage = handler && ((event) => held.promise.then(() => this.#handler?.(event)));
    }
  }
  return { WebSocket: HoldingWebSocket, release: held.open };
}

test('a follower that joins behind the stream catches up on a socket of its own, then takes the relay', TEST_TIMEOUT, async () => {
  const user = `js-${randomUUID()}`;
  const name = `notifypush-${user}`;
  const locks = new InProcessLocks();
  const wire = recordingWebSocket();
  const a = newTab(user, locks, wire, name);
  a.client.start();
  await a.log.next('synced');
  for (let i = 0; i < 3; i++) await server.send(user);
  await a.log.seen(3);

  // A tab that had handled 1 comes back (e.g. a reload restoring its position) while another tab leads.
  const b = newTab(user, locks, wire, name, { since: 1 });
  const tabs = { a, b };
  b.client.start();
  await explained(async () => {
    await b.log.seen(3);
    await waitFor(() => b.client.state === 'live', { message: 'the follower is live after its catch-up' });
    await server.send(user);
    await Promise.all([a.log.seen(4), b.log.seen(4)]);
  }, tabs, wire);

  assert.equal(b.client.role, 'follower');
  assert.deepEqual(b.log.notifications, [2, 3, 4]);
  assert.deepEqual(b.log.received.map((n) => n.replayed), [true, true, false]);
  assert.deepEqual(b.log.all('synced'), [{ seq: 3, recovered: true }], "the catch-up's synced is the follower's");
  assert.equal(b.log.all('connected').length, 1, "the leader's socket only: the catch-up socket is not announced");
  assert.deepEqual(a.log.notifications, range(1, 4));

  const [catchUp] = socketsWithSince(wire, 1);
  assert.equal(wire.sockets.length, 2);
  assert.ok(catchUp, 'the catch-up socket resumes after what the follower has');
  assert.deepEqual(framesOf([catchUp], 'sent', 'ack'), [], 'the catch-up socket never acknowledges');
  await waitFor(() => catchUp.closeCode === 1000, { message: 'the catch-up socket closed with 1000' });
  await waitFor(async () => (await server.history(user)).ackedSeq === 4, { message: 'the leader acknowledged 4' });
});

test('notifications relayed while a follower catches up are neither lost nor handled twice', TEST_TIMEOUT, async () => {
  const user = `js-${randomUUID()}`;
  const name = `notifypush-${user}`;
  const locks = new InProcessLocks();
  const wire = recordingWebSocket();
  const a = newTab(user, locks, wire, name);
  a.client.start();
  await a.log.next('synced');
  for (let i = 0; i < 3; i++) await server.send(user);
  await a.log.seen(3);

  const token = gate();
  const channel = recordingChannel();
  const holding = holdingWebSocket(wire.WebSocket);
  const b = newTab(user, locks, wire, name, {
    since: 1,
    shared: { name, userId: user }, // the group needs no token: the gated one is the catch-up's
    getToken: async () => {
      await token.promise;
      return server.token(user);
    },
    BroadcastChannel: channel.BroadcastChannel,
    WebSocket: holding.WebSocket,
  });
  const tabs = { a, b };
  b.client.start();
  await explained(async () => {
    await waitFor(() => b.client.state === 'syncing', { message: 'the follower starts catching up' });
    // 4 reaches the follower through the relay before its catch-up socket exists, and then in that socket's replay.
    await server.send(user);
    await waitFor(() => channel.relayed(4), { message: 'seq 4 relayed to the follower' });
    token.open();
    const catchUp = await waitFor(() => socketsWithSince(wire, 1)[0], { message: 'the catch-up socket' });
    await waitFor(() => catchUp.received.some((f) => f.type === 'synced'), { message: 'the catch-up replay done on the wire' });
    // 5 comes after that socket's synced: the follower has it only through the relay.
    await server.send(user);
    await waitFor(() => channel.relayed(5), { message: 'seq 5 relayed to the follower' });
    assert.deepEqual(b.log.notifications, [], 'nothing handed over before the catch-up is read');
    holding.release();
    await b.log.seen(5);
    await server.send(user);
    await b.log.seen(6);
  }, tabs, wire);

  assert.deepEqual(b.log.notifications, [2, 3, 4, 5, 6]);
  assert.deepEqual(b.log.received.map((n) => n.replayed), [true, true, true, false, false]);
  assert.deepEqual(a.log.notifications, range(1, 6));
  assert.equal(b.client.state, 'live');
  assert.equal(b.client.position, 6);
});

/**
 * A leader whose socket is not open yet when a follower with position 1 joins (so its answer cannot say where the
 * stream is), then resumes after `leaderSince`: the follower learns it is behind from the first relayed frame.
 */
async function followerBehindALeaderStillConnecting(leaderSince) {
  const user = `js-${randomUUID()}`;
  const name = `notifypush-${user}`;
  for (let i = 0; i < 3; i++) await server.send(user);
  const locks = new InProcessLocks();
  const wire = recordingWebSocket();
  const token = gate();
  const a = newTab(user, locks, wire, name, {
    since: leaderSince,
    shared: { name, userId: user }, // the group needs no token: the gated one is the leader's socket's
    getToken: () => token.promise.then(() => server.token(user)),
  });
  a.client.start();
  await a.log.next('role', { filter: (e) => e.role === 'leader' });
  const b = newTab(user, locks, wire, name, { since: 1 });
  b.client.start();
  await waitFor(() => b.client.role === 'follower' && b.client.state === 'connecting', { message: 'b follows' });
  token.open();
  await explained(async () => {
    await b.log.seen(3);
    await server.send(user);
    await b.log.seen(4);
  }, { a, b }, wire);
  assert.deepEqual(b.log.notifications, [2, 3, 4]);
  assert.deepEqual(a.log.notifications, range(leaderSince + 1, 4));
  assert.equal(socketsWithSince(wire, 1).length, 1, 'one catch-up socket');
}

test('a follower that sees a relayed seq skip past what it has catches up first', TEST_TIMEOUT, () =>
  followerBehindALeaderStillConnecting(2)); // the leader's replay relays 3: 2 is missing

test('a follower that sees a relayed synced start past what it has catches up first', TEST_TIMEOUT, () =>
  followerBehindALeaderStillConnecting(3)); // the leader's replay is empty: synced 3 since 3

test('a follower ahead of the stream learns it from its catch-up (recovered:false) and takes what follows', TEST_TIMEOUT, async () => {
  const user = `js-${randomUUID()}`;
  const name = `notifypush-${user}`;
  const locks = new InProcessLocks();
  const wire = recordingWebSocket();
  const a = newTab(user, locks, wire, name);
  a.client.start();
  await a.log.next('synced');
  for (let i = 0; i < 2; i++) await server.send(user);
  await a.log.seen(2);

  // A position from another deployment or a restored database.
  const b = newTab(user, locks, wire, name, { since: 100 });
  b.client.start();
  const synced = await b.log.next('synced');
  assert.deepEqual(synced, { seq: 2, recovered: false });
  await server.send(user);
  await explained(() => b.log.seen(3), { a, b }, wire);
  assert.deepEqual(b.log.notifications, [3]);
  assert.equal(b.client.position, 3);
});

test('a catch-up refused for the socket limit retries until the follower leads and resumes itself', TEST_TIMEOUT, async () => {
  const limited = await NotifyPushServer.start({ settings: { 'NotifyPush:Connections:MaxSocketsPerUser': '1' } });
  try {
    const user = `js-${randomUUID()}`;
    const name = `notifypush-${user}`;
    const locks = new InProcessLocks();
    const wire = recordingWebSocket();
    const a = newTab(user, locks, wire, name, { via: limited });
    a.client.start();
    await a.log.next('synced');
    for (let i = 0; i < 2; i++) await limited.send(user);
    await a.log.seen(2);

    const b = newTab(user, locks, wire, name, { via: limited, since: 0 });
    const tabs = { a, b };
    b.client.start();
    await explained(async () => {
      // The leader holds the user's one socket: every catch-up attempt is refused with 429.
      await waitFor(() => socketsWithSince(wire, 0).length >= 2, { message: 'the catch-up retried' });
      // With the tab's backoff option (windows of 100, 200, 400, 800 ms), not the default one (5, 10, 20, 40 s).
      await waitFor(() => socketsWithSince(wire, 0).length >= 6, { timeoutMs: 5000, message: 'the catch-up retried within the backoff option' });
      assert.equal(b.client.state, 'syncing');
      assert.deepEqual(b.log.notifications, []);

      a.client.stop(); // the leader's tab goes away while the follower is still catching up
      await b.log.next('role', { filter: (e) => e.role === 'leader' });
      await b.log.seen(2);
      await limited.send(user);
      await b.log.seen(3);
    }, tabs, wire);

    assert.deepEqual(b.log.notifications, range(1, 3));
    assert.equal(b.client.state, 'live');
  } finally {
    await limited.dispose();
  }
});

test('a sign-out while a follower catches up stops it without another socket', TEST_TIMEOUT, async () => {
  const user = `js-${randomUUID()}`;
  const name = `notifypush-${user}`;
  const locks = new InProcessLocks();
  const wire = recordingWebSocket();
  const a = newTab(user, locks, wire, name);
  a.client.start();
  await a.log.next('synced');
  await server.send(user);
  await a.log.seen(1);

  const token = gate();
  const tokenCalls = [];
  const b = newTab(user, locks, wire, name, {
    since: 0,
    shared: { name, userId: user }, // the group needs no token: the gated one is the catch-up's
    getToken: () => {
      const call = token.promise.then(() => server.token(user));
      tokenCalls.push(call);
      return call;
    },
  });
  b.client.start();
  await waitFor(() => b.client.state === 'syncing', { message: 'the follower starts catching up' });

  await server.signOut(user);
  const [stoppedA, stoppedB] = await Promise.all([a.log.next('stopped'), b.log.next('stopped')]);
  assert.equal(stoppedA.code, 4003);
  assert.equal(stoppedB.code, 4003);
  token.open();
  // The client's continuations were registered first: once this resumes, each has had its chance to open a
  // socket. (There may be two calls: the lock can reach the follower before the leader's message does.)
  await Promise.all(tokenCalls);
  assert.equal(b.client.state, 'stopped');
  assert.equal(wire.sockets.length, 1, 'no socket opened after the sign-out');
});

// ---- tabs of different users ----------------------------------------------------------------------------------

/** A tab with `shared: true` (no name) whose token provider hands out `user()`'s token, whoever that is by then. */
function userTab(user, locks, wire) {
  const client = new NotifyPushClient({
    url: server.socketUrl,
    getToken: () => server.token(user()),
    backoff: { firstMs: 100, maxMs: 1000 },
    heartbeatGraceMs: 4000,
    shared: true,
    locks,
    BroadcastChannel: globalThis.BroadcastChannel,
    WebSocket: wire.WebSocket,
    connectivity: null,
  });
  running.push(client);
  return { client, log: new EventLog(client) };
}

test('tabs of two users with shared: true never share: each handles its own notifications only', TEST_TIMEOUT, async () => {
  const alice = `js-a-${randomUUID()}`;
  const bob = `js-b-${randomUUID()}`;
  const locks = new InProcessLocks();
  const wire = recordingWebSocket();
  const a = userTab(() => alice, locks, wire);
  const b = userTab(() => bob, locks, wire);
  const a2 = userTab(() => alice, locks, wire);
  const tabs = { a, b, a2 };
  a.client.start();
  await a.log.next('synced');
  b.client.start();
  a2.client.start();
  await explained(async () => {
    await b.log.next('synced');
    await waitFor(() => a2.client.state === 'live', { message: "alice's second tab follows her socket" });
    await server.send(alice, 'for.alice');
    await server.send(bob, 'for.bob');
    await Promise.all([a.log.seen(1), b.log.seen(1), a2.log.seen(1)]);
  }, tabs, wire);

  assert.deepEqual([a.client.role, b.client.role, a2.client.role], ['leader', 'leader', 'follower']);
  assert.deepEqual(a.log.received.map((n) => n.event), ['for.alice']);
  assert.deepEqual(a2.log.received.map((n) => n.event), ['for.alice']);
  assert.deepEqual(b.log.received.map((n) => n.event), ['for.bob'], "bob's tab never sees alice's notification");
  assert.equal(wire.sockets.length, 2, 'one socket per user');
  assert.deepEqual(b.log.all('connected').map((e) => e.userId), [bob]);
  // Each user's own socket acknowledges for that user.
  await waitFor(async () => (await server.history(alice)).ackedSeq === 1 && (await server.history(bob)).ackedSeq === 1,
    { message: 'each user acknowledged by their own tab' });
});

test('a tab whose token becomes another user\'s leaves the group and stops with 1008 instead of leading it', TEST_TIMEOUT, async () => {
  const alice = `js-a-${randomUUID()}`;
  const carol = `js-c-${randomUUID()}`;
  const locks = new InProcessLocks();
  const wire = recordingWebSocket();
  let bUser = alice;
  const a = userTab(() => alice, locks, wire);
  const b = userTab(() => bUser, locks, wire);
  const c = userTab(() => alice, locks, wire);
  const tabs = { a, b, c };
  a.client.start();
  await a.log.next('synced');
  b.client.start();
  // The group is picked once the token is in: b queues for the lock before c starts, so b is next in line.
  await waitFor(() => b.client.role === 'follower', { message: 'b follows' });
  c.client.start();
  await waitFor(() => b.client.state === 'live' && c.client.state === 'live', { message: 'followers see the live state' });

  bUser = carol; // b's application signed in as carol
  a.client.stop(); // b is next in line for alice's lock
  await explained(async () => {
    const stopped = await b.log.next('stopped');
    assert.equal(stopped.code, 1008);
    await c.log.next('role', { filter: (e) => e.role === 'leader' });
    await waitFor(() => c.client.state === 'live', { message: 'c leads on a socket of its own' });
    await server.send(alice, 'for.alice');
    await c.log.seen(1);
  }, tabs, wire);

  assert.equal(b.client.state, 'stopped');
  assert.equal(b.client.role, 'solo');
  assert.deepEqual(b.log.received, []);
  assert.equal(wire.sockets.length, 2, "a's socket, then c's: none with carol's token");
});

test('shared mode over the event stream: one stream for the tabs, acks over POST, the next leader resumes on a stream too', TEST_TIMEOUT, async () => {
  const user = `js-${randomUUID()}`;
  const name = `notifypush-${user}`;
  const locks = new InProcessLocks();
  const wire = recordingWebSocket();
  const streams = [];
  class CountingEventSource extends EventSource {
    constructor(url, init) {
      super(url, init);
      streams.push(new URL(url).searchParams.get('since'));
    }
  }
  const sse = { transport: 'sse', EventSource: CountingEventSource };
  const a = newTab(user, locks, wire, name, sse);
  const b = newTab(user, locks, wire, name, sse);
  a.client.start();
  await a.log.next('synced');
  b.client.start();
  await waitFor(() => b.client.role === 'follower' && b.client.state === 'live', { message: 'b follows' });

  for (let i = 0; i < 3; i++) await server.send(user);
  await Promise.all([a, b].map((tab) => tab.log.seen(3)));
  assert.equal(streams.length, 1, 'one stream for two tabs');
  assert.equal(wire.sockets.length, 0, 'no WebSocket');
  assert.equal(b.log.all('connected')[0].transport, 'sse', "the follower hears its leader's transport");
  await waitFor(async () => (await server.history(user)).ackedSeq === 3, { message: "the leader's acks stored" });

  a.client.stop();
  await b.log.next('role', { filter: (e) => e.role === 'leader' });
  await b.log.next('synced');
  for (let i = 0; i < 2; i++) await server.send(user);
  await b.log.seen(5);
  assert.deepEqual(b.log.notifications, range(1, 5));
  assert.equal(streams.length, 2);
  assert.equal(streams[1], '3', 'the new leader resumes after what it handled');
});

// ---- the interface between the client and shared mode ---------------------------------------------------------

/**
 * A tab's SharedTabs with nothing of a client but a SharedHost: a real handler queue and emitter, and what shared
 * mode asks of the client (show, stream, lead, stop, checkToken) recorded in `calls`.
 */
function hostedTab(name, locks) {
  const calls = [];
  const events = new Emitter();
  const handled = [];
  const roles = [];
  events.on('notification', (n) => {
    handled.push(n.seq);
  });
  events.on('role', ({ role }) => roles.push(role));
  const queue = new HandlerQueue(null, {
    deliver: (n) => events.emitInTurn('notification', n),
    synced: (event) => events.emit('synced', event),
    acknowledge: () => {},
  });
  const host = {
    queue,
    events,
    connector: null, // no catch-up here: a tab that joins an empty stream has nothing to fetch
    show: (state) => calls.push(['show', state]),
    stream: () => ({ state: 'live', seq: null, welcome: null }),
    lead: () => calls.push(['lead']),
    stop: (code, reason, fromServer) => calls.push(['stop', code, fromServer]),
    checkToken: () => calls.push(['checkToken']),
  };
  const tabs = new SharedTabs(name, host, { locks, BroadcastChannel: globalThis.BroadcastChannel, backoff: undefined });
  return { tabs, calls, handled, roles, events };
}

test('SharedTabs needs nothing of the client but its SharedHost: roles, the relay into the queue, the leader\'s events and stop', TEST_TIMEOUT, async () => {
  const name = `notifypush-host-${randomUUID()}`;
  const locks = new InProcessLocks();
  const a = hostedTab(name, locks);
  const b = hostedTab(name, locks);
  const connected = [];
  b.events.on('connected', (detail) => connected.push(detail));

  try {
    a.tabs.join();
    await waitFor(() => a.tabs.role === 'leader', { message: 'a leads' });
    assert.deepEqual(a.roles, ['follower', 'leader'], 'the role events come from shared mode');
    assert.deepEqual(a.calls, [['show', 'connecting'], ['lead']]);

    b.tabs.join();
    await waitFor(() => b.calls.some(([what, state]) => what === 'show' && state === 'live'), { message: "b shows the leader's state" });
    assert.equal(b.tabs.role, 'follower');

    const welcome = { userId: 'u1', connectionId: 'c1', heartbeatSeconds: 25, transport: 'websocket' };
    a.tabs.relayEvent('connected', welcome);
    for (const seq of [1, 2]) {
      a.tabs.relayItem(notificationItem({ seq, id: `n${seq}`, event: 'test', payload: {}, createdAt: '2026-01-01T00:00:00Z' }, false));
    }
    await waitFor(() => b.handled.length === 2, { message: 'the relayed notifications' });
    assert.deepEqual(b.handled, [1, 2]);
    assert.equal(b.tabs.role, 'follower');
    assert.deepEqual(connected, [welcome]);
    assert.ok(b.calls.some(([what]) => what === 'checkToken'), 'a new leader socket makes a follower check its token');

    a.tabs.leave({ code: 4003, reason: 'signed out' });
    assert.equal(a.tabs.role, 'solo');
    assert.deepEqual(a.roles, ['follower', 'leader', 'solo']);
    // A follower told by the channel, or (should the lock reach it before the message) a new leader that reads it.
    await waitFor(() => b.calls.some(([what]) => what === 'stop'), { message: 'b told to stop' });
    assert.deepEqual(b.calls.find(([what]) => what === 'stop')?.slice(0, 2), ['stop', 4003]);
  } finally {
    a.tabs.leave(null); // a channel left open would keep the test process alive
    b.tabs.leave(null);
  }
});
