// notifypush.js against a real NotifyPush server (one per file, Development, its own SQLite file): resume,
// dedupe, acks, heartbeats, token refresh and the close codes. Each test has its own user.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import { NotifyPushClient } from '../notifypush.js';
import { TcpProxy } from './support/proxy.mjs';
import { NotifyPushServer } from './support/server.mjs';
import { framesOf, recordingWebSocket } from './support/sockets.mjs';
import { EventLog, gate, range, waitFor } from './support/wait.mjs';
import { TestWebSocket } from './support/websocket.mjs';

const TEST_TIMEOUT = { timeout: 90_000 };

let server;
const running = [];
const proxies = [];

before(async () => {
  server = await NotifyPushServer.start();
}, { timeout: 120_000 });

after(async () => {
  await server?.dispose();
});

afterEach(async () => {
  for (const client of running.splice(0)) client.stop();
  for (const proxy of proxies.splice(0)) await proxy.close();
});

function newUser() {
  return `js-${randomUUID()}`;
}

/** A client for `user` with test-sized timers; `options` override. Stopped after the test. */
function newClient(user, options = {}) {
  const client = new NotifyPushClient({
    url: server.socketUrl,
    getToken: () => server.token(user),
    backoff: { firstMs: 100, maxMs: 1000 },
    // The server pings every second; five silent seconds on a loaded machine are still a live socket.
    heartbeatGraceMs: 4000,
    WebSocket: TestWebSocket,
    connectivity: null,
    ...options,
  });
  running.push(client);
  return client;
}

async function newProxy() {
  const proxy = await TcpProxy.start(server.port);
  proxies.push(proxy);
  return proxy;
}

async function sendMany(user, count) {
  const seqs = [];
  for (let i = 0; i < count; i++) seqs.push(await server.send(user, 'test.event', { i }));
  return seqs;
}

/** exp of a JWT, in ms since the epoch. */
function expiresAtMs(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).exp * 1000;
}

describe('resume and dedupe', () => {
  test('after a disconnect it resumes with since = the last handled seq: nothing lost, nothing twice', TEST_TIMEOUT, async () => {
    const user = newUser();
    const proxy = await newProxy();
    const wire = recordingWebSocket();
    const client = newClient(user, { url: proxy.socketUrl, WebSocket: wire.WebSocket });
    const log = new EventLog(client);
    client.start();
    await log.next('synced');
    await sendMany(user, 3);
    await log.seen(3);

    proxy.refuse(true);
    proxy.cut();
    await log.next('disconnected');
    await sendMany(user, 3); // 4..6 while the client cannot connect
    proxy.refuse(false);
    await log.seen(6);
    assert.equal(await server.send(user), 7);
    await log.seen(7);

    assert.deepEqual(log.notifications, range(1, 7));
    assert.deepEqual(log.received.map((n) => n.replayed), [false, false, false, true, true, true, false]);
    assert.equal(wire.sockets[0].url.searchParams.get('since'), null, 'the first connection has no position');
    for (const socket of wire.sockets.slice(1)) assert.equal(socket.url.searchParams.get('since'), '3');
    assert.equal(client.position, 7);
    assert.equal(log.all('connected').length, 2);
  });

  test('notifications replayed again after a reconnect are dropped by seq', TEST_TIMEOUT, async () => {
    const user = newUser();
    const proxy = await newProxy();
    const wire = recordingWebSocket();
    const client = newClient(user, { url: proxy.socketUrl, WebSocket: wire.WebSocket });
    const log = new EventLog(client);
    const blocked = gate();
    // The first handler waits: 1..5 arrive but none is handled, so the position stays empty.
    client.on('notification', (n) => (n.seq === 1 ? blocked.promise : undefined));
    client.start();
    await log.next('synced');
    await sendMany(user, 5);
    await waitFor(() => framesOf(wire.sockets, 'received', 'notification').length === 5, { message: '5 frames on the wire' });

    proxy.cut(); // the new socket has no since and the server replays all five, which are still queued here
    await waitFor(() => wire.sockets[1]?.received.some((f) => f.type === 'synced'), { message: 'the replay of socket 2' });
    blocked.open();
    await log.seen(5);
    await log.next('synced', { count: 2 });

    assert.deepEqual(framesOf(wire.sockets, 'received', 'notification').map((f) => f.seq), [1, 2, 3, 4, 5, 1, 2, 3, 4, 5]);
    assert.deepEqual(log.notifications, range(1, 5));
    assert.equal((await waitFor(async () => ((await server.history(user)).ackedSeq === 5 ? 5 : 0), { message: 'ackedSeq 5' })), 5);
  });

  test('the initial since skips what the application already has', TEST_TIMEOUT, async () => {
    const user = newUser();
    await sendMany(user, 4);
    const client = newClient(user, { since: 2 });
    const log = new EventLog(client);
    assert.equal(client.position, 2);
    client.start();
    await log.next('synced');
    assert.deepEqual(log.notifications, [3, 4]);
    assert.deepEqual(log.all('synced'), [{ seq: 4, recovered: true }]);
  });
});

describe('acknowledgements', () => {
  test('an ack goes out only after the async handler resolved, one for a whole burst', TEST_TIMEOUT, async () => {
    const user = newUser();
    const wire = recordingWebSocket();
    const client = newClient(user, { WebSocket: wire.WebSocket });
    const log = new EventLog(client);
    const handled = gate();
    let calls = 0;
    client.on('notification', async (n) => {
      calls++;
      if (n.seq === 1) await handled.promise;
    });
    client.start();
    await log.next('synced');
    await sendMany(user, 5);
    await waitFor(() => framesOf(wire.sockets, 'received', 'notification').length === 5, { message: '5 frames on the wire' });

    assert.equal(calls, 1, 'the next notification waits for the pending handler');
    assert.deepEqual(framesOf(wire.sockets, 'sent', 'ack'), []);
    assert.equal((await server.history(user)).ackedSeq, 0);

    handled.open();
    await waitFor(() => framesOf(wire.sockets, 'sent', 'ack').length > 0, { message: 'an ack' });
    await waitFor(async () => (await server.history(user)).ackedSeq === 5, { message: 'ackedSeq 5 in the history' });
    assert.deepEqual(framesOf(wire.sockets, 'sent', 'ack'), [{ type: 'ack', seq: 5 }]);
    assert.equal(client.position, 5);
  });

  test('a handler that throws is reported and its notification still counts as handled', TEST_TIMEOUT, async () => {
    const user = newUser();
    const client = newClient(user);
    const log = new EventLog(client);
    const failure = new Error('application bug');
    client.on('notification', (n) => {
      if (n.seq === 1) throw failure;
    });
    client.start();
    await log.next('synced');
    await sendMany(user, 2);
    await log.seen(2);
    assert.equal((await log.next('error')).error, failure);
    await waitFor(async () => (await server.history(user)).ackedSeq === 2, { message: 'ackedSeq 2' });
  });
});

describe('heartbeats', () => {
  test('pongs keep the socket open past the server heartbeat timeout', TEST_TIMEOUT, async () => {
    const user = newUser();
    const wire = recordingWebSocket();
    const client = newClient(user, { WebSocket: wire.WebSocket });
    const log = new EventLog(client);
    client.start();
    const connected = await log.next('connected');
    // The server pings every second and closes a socket silent for 5 s after a ping: 8 pongs outlast that.
    await waitFor(() => framesOf(wire.sockets, 'sent', 'pong').length >= 8, { timeoutMs: 30_000, message: '8 pongs' });

    assert.equal(wire.sockets.length, 1);
    assert.deepEqual(log.all('disconnected'), []);
    assert.equal(client.state, 'live');
    assert.equal(await server.send(user), 1);
    await log.seen(1);
    assert.equal(log.all('connected')[0].connectionId, connected.connectionId);
  });

  test('a half-open socket that stops receiving pings is replaced, and resumes', TEST_TIMEOUT, async () => {
    const user = newUser();
    const proxy = await newProxy();
    const wire = recordingWebSocket();
    const client = newClient(user, { url: proxy.socketUrl, WebSocket: wire.WebSocket, heartbeatGraceMs: 1500 });
    const log = new EventLog(client);
    client.start();
    const first = await log.next('connected');
    await sendMany(user, 1);
    await log.seen(1);

    proxy.freeze(); // both ends keep an open TCP connection that carries nothing
    await sendMany(user, 1);
    const dropped = await log.next('disconnected');
    const second = await log.next('connected', { count: 2 });
    await log.seen(2);

    assert.equal(dropped.code, 1006);
    assert.match(dropped.reason, /no frame from the server/);
    assert.equal(dropped.willReconnect, true);
    assert.notEqual(second.connectionId, first.connectionId);
    assert.equal(wire.sockets.at(-1).url.searchParams.get('since'), '1');
    assert.deepEqual(log.notifications, [1, 2]);
  });
});

describe('tokens', () => {
  test('token-expiring refreshes the token in-band: the socket outlives its first token', TEST_TIMEOUT, async () => {
    const user = newUser();
    const wire = recordingWebSocket();
    const reasons = [];
    let firstToken;
    const client = newClient(user, {
      WebSocket: wire.WebSocket,
      getToken: async ({ reason }) => {
        reasons.push(reason);
        const token = await server.token(user, 4); // the server warns 2 s before expiry
        firstToken ??= token;
        return token;
      },
    });
    const log = new EventLog(client);
    client.start();
    await log.next('synced');
    const firstExpiry = expiresAtMs(firstToken);
    await waitFor(() => Date.now() > firstExpiry + 2000, { timeoutMs: 15_000, message: 'the first token to be expired for 2 s' });
    assert.equal(await server.send(user), 1);
    await log.seen(1);

    assert.deepEqual(log.all('disconnected'), []);
    assert.equal(wire.sockets.length, 1);
    assert.equal(reasons[0], 'connect');
    assert.ok(reasons.slice(1).length >= 1 && reasons.slice(1).every((r) => r === 'refresh'), reasons.join());
    assert.ok(framesOf(wire.sockets, 'sent', 'auth').length >= 1);
  });

  test('4001 after a refused refresh: a new token, then an immediate reconnect', TEST_TIMEOUT, async () => {
    const user = newUser();
    const wire = recordingWebSocket();
    const reasons = [];
    const refused = new Error('refresh refused');
    const client = newClient(user, {
      WebSocket: wire.WebSocket,
      getToken: async ({ reason }) => {
        reasons.push(reason);
        if (reason === 'refresh') throw refused;
        return server.token(user, reason === 'connect' ? 3 : 600);
      },
    });
    const log = new EventLog(client);
    client.start();
    await log.next('synced');
    const expired = await log.next('disconnected');
    await log.next('connected', { count: 2 });
    assert.equal(await server.send(user), 1);
    await log.seen(1);

    assert.deepEqual(expired, { code: 4001, reason: 'credential expired', willReconnect: true, delayMs: 0 });
    assert.equal(log.all('error')[0].error, refused);
    assert.deepEqual(reasons, ['connect', 'refresh', 'expired']);
    assert.equal(wire.sockets[1].url.searchParams.get('since'), '0');
  });
});

describe('terminal close codes', () => {
  /** Asserts the client stopped with `code` and opened no other socket within a quiet period. */
  async function assertStoppedFor(client, log, wire, code) {
    const stopped = await log.next('stopped');
    assert.equal(stopped.code, code);
    assert.deepEqual(log.all('disconnected').map((d) => [d.code, d.willReconnect]), [[code, false]]);
    assert.equal(client.state, 'stopped');
    // Absence cannot be awaited: give a reconnect ten times its largest backoff window to show up.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(wire.sockets.length, 1, 'no reconnect');
    assert.equal(client.state, 'stopped');
  }

  test('4003 (signed out by the service) stops for good and tells the application', TEST_TIMEOUT, async () => {
    const user = newUser();
    const wire = recordingWebSocket();
    const client = newClient(user, { WebSocket: wire.WebSocket, backoff: { firstMs: 50, maxMs: 100 } });
    const log = new EventLog(client);
    client.start();
    await log.next('synced');
    await server.signOut(user);
    await assertStoppedFor(client, log, wire, 4003);
  });

  test('4400 (a malformed client frame) stops', TEST_TIMEOUT, async () => {
    const user = newUser();
    // Break the first pong, as a buggy client would.
    const wire = recordingWebSocket({ rewriteSend: (data) => (data.includes('pong') ? '{"type":"pong"' : data) });
    const client = newClient(user, { WebSocket: wire.WebSocket, backoff: { firstMs: 50, maxMs: 100 } });
    const log = new EventLog(client);
    client.start();
    await assertStoppedFor(client, log, wire, 4400);
  });

  test('1008 (a refreshed token of another user) stops', TEST_TIMEOUT, async () => {
    const user = newUser();
    const wire = recordingWebSocket();
    const client = newClient(user, {
      WebSocket: wire.WebSocket,
      backoff: { firstMs: 50, maxMs: 100 },
      getToken: ({ reason }) => (reason === 'refresh' ? server.token(newUser(), 600) : server.token(user, 3)),
    });
    const log = new EventLog(client);
    client.start();
    await assertStoppedFor(client, log, wire, 1008);
  });

  test('1009 (a frame over the server limit) stops', TEST_TIMEOUT, async () => {
    const user = newUser();
    const wire = recordingWebSocket();
    const client = newClient(user, {
      WebSocket: wire.WebSocket,
      backoff: { firstMs: 50, maxMs: 100 },
      getToken: ({ reason }) => (reason === 'refresh' ? 'x'.repeat(20_000) : server.token(user, 3)),
    });
    const log = new EventLog(client);
    client.start();
    await assertStoppedFor(client, log, wire, 1009);
  });

  test('stop() closes with 1000 and emits stopped; start() resumes from the position', TEST_TIMEOUT, async () => {
    const user = newUser();
    const wire = recordingWebSocket();
    const client = newClient(user, { WebSocket: wire.WebSocket });
    const log = new EventLog(client);
    client.start();
    await log.next('synced');
    await sendMany(user, 2);
    await log.seen(2);
    client.stop();
    assert.equal(client.state, 'stopped');
    assert.deepEqual(log.all('stopped'), [{ code: 1000, reason: 'stopped by the application' }]);
    await sendMany(user, 1);
    client.start();
    await log.seen(3);
    assert.equal(wire.sockets[1].url.searchParams.get('since'), '2');
    assert.deepEqual(log.notifications, [1, 2, 3]);
  });
});

describe('reconnecting', () => {
  test('retries while the server is unreachable with full-jitter delays inside the doubling window', TEST_TIMEOUT, async () => {
    const user = newUser();
    const proxy = await newProxy();
    proxy.refuse(true);
    const backoff = { firstMs: 200, maxMs: 800 };
    const wire = recordingWebSocket();
    const client = newClient(user, { url: proxy.socketUrl, backoff, WebSocket: wire.WebSocket });
    const log = new EventLog(client);
    client.start();
    const failures = await waitFor(() => (log.all('disconnected').length >= 6 ? log.all('disconnected') : null), { message: '6 failed attempts' });
    failures.slice(0, 6).forEach((failure, attempt) => {
      assert.equal(failure.willReconnect, true);
      assert.equal(failure.code, 1006);
      assert.ok(failure.delayMs >= 0 && failure.delayMs < Math.min(backoff.maxMs, backoff.firstMs * 2 ** attempt), `attempt ${attempt}: ${failure.delayMs} ms`);
    });

    // A socket that lived through a heartbeat starts the backoff over: the next retry is within firstMs again.
    proxy.refuse(false);
    await log.next('connected');
    await waitFor(() => wire.sockets.at(-1).sent.some((f) => f.type === 'pong'), { message: 'a ping answered' });
    const failed = log.all('disconnected').length;
    proxy.cut();
    const next = await log.next('disconnected', { count: failed + 1 });
    assert.ok(next.delayMs < backoff.firstMs, `${next.delayMs} ms`);
  });

  test('offline closes the socket and waits; online reconnects at once', TEST_TIMEOUT, async () => {
    const user = newUser();
    const connectivity = new EventTarget();
    const wire = recordingWebSocket();
    const client = newClient(user, { connectivity, WebSocket: wire.WebSocket });
    const log = new EventLog(client);
    client.start();
    await log.next('synced');

    connectivity.dispatchEvent(new Event('offline'));
    assert.deepEqual(await log.next('disconnected'), { code: 1006, reason: 'the browser went offline', willReconnect: true, delayMs: null });
    assert.equal(client.state, 'reconnecting');
    await sendMany(user, 1);
    assert.equal(wire.sockets.length, 1, 'no attempt while offline');

    connectivity.dispatchEvent(new Event('online'));
    await log.seen(1);
    assert.equal(wire.sockets.length, 2);
    assert.equal(wire.sockets[1].url.searchParams.get('since'), '0');
  });
});
