// The Server-Sent Events fallback of notifypush.js against a real NotifyPush server (GET /sse, POST /sse/ack):
// the client falls back when the WebSocket cannot open, says so, and keeps the socket's guarantees on the stream
// (order, acks, resume with since, sign-out, expiry, a server restart). EventSource is the `eventsource` package
// (Node 20 has none of its own); fetch is Node's.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, test } from 'node:test';
import { EventSource } from 'eventsource';
import { eventStreamUrl, NotifyPushClient } from '../notifypush.js';
import { TcpProxy } from './support/proxy.mjs';
import { TestWebSocket } from './support/websocket.mjs';
import { NotifyPushServer } from './support/server.mjs';
import { EventLog, range, waitFor } from './support/wait.mjs';

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

/** A WebSocket a page (or an extension) blocked: constructing one throws, as an overridden window.WebSocket would. */
class BlockedWebSocket {
  constructor() {
    throw new Error('WebSocket is blocked here');
  }
}

/** An EventSource that records the URL of every stream it opens (the token cut out). */
function recordingEventSource() {
  const urls = [];
  class RecordingEventSource extends EventSource {
    constructor(url, init) {
      super(url, init);
      const seen = new URL(url);
      seen.searchParams.delete('access_token');
      urls.push(seen);
    }
  }
  return { EventSource: RecordingEventSource, urls };
}

function newUser() {
  return `js-sse-${randomUUID()}`;
}

/** A client for `user` whose WebSocket is blocked, with test-sized timers; `options` override. Stopped after the test. */
function newClient(user, options = {}) {
  const client = new NotifyPushClient({
    url: server.socketUrl,
    getToken: () => server.token(user),
    backoff: { firstMs: 100, maxMs: 1000 },
    heartbeatGraceMs: 4000,
    WebSocket: BlockedWebSocket,
    EventSource,
    connectivity: null,
    ...options,
  });
  running.push(client);
  return client;
}

test('the event stream URL is the socket URL with /ws replaced by /sse, or the one given', () => {
  assert.equal(eventStreamUrl('ws://h:1/ws', { token: 't', since: 3 }), 'http://h:1/sse?access_token=t&since=3');
  assert.equal(eventStreamUrl('wss://h/push/ws'), 'https://h/push/sse');
  assert.equal(eventStreamUrl('/ws', {}, false, 'https://app.test/page'), 'https://app.test/sse');
  assert.equal(eventStreamUrl('https://h/events', { since: 0 }, true), 'https://h/events?since=0');
});

test('a blocked WebSocket: the client says it uses the event stream, and notifications arrive in order and are acknowledged', TEST_TIMEOUT, async () => {
  const user = newUser();
  const client = newClient(user);
  const log = new EventLog(client);
  const transports = [];
  client.on('transport', (event) => transports.push(event));
  client.start();

  const connected = await log.next('connected');
  assert.equal(connected.transport, 'sse');
  assert.equal(client.transport, 'sse');
  assert.deepEqual(transports, [{ transport: 'sse', previous: 'websocket' }]);
  await log.next('synced');

  for (let i = 0; i < 10; i++) await server.send(user, 'test.event', { i });
  await log.seen(10);
  assert.deepEqual(log.notifications, range(1, 10));
  assert.deepEqual(log.received.map((n) => n.payload.i), range(0, 9));

  // POST /sse/ack, coalesced by the server like a socket's acks.
  await waitFor(async () => (await server.history(user)).ackedSeq === 10, { message: 'the acks of the stream stored' });
});

test('a WebSocket the network refuses twice: the client falls back and replays what waited', TEST_TIMEOUT, async () => {
  const user = newUser();
  for (let i = 0; i < 3; i++) await server.send(user);
  const proxy = await TcpProxy.start(server.port);
  proxies.push(proxy);
  proxy.refuse(true); // the WebSocket's own address: every attempt dropped, as a proxy refusing upgrades would
  const client = newClient(user, {
    url: proxy.socketUrl,
    sseUrl: `${server.baseUrl}/sse`,
    WebSocket: TestWebSocket,
  });
  const log = new EventLog(client);
  client.start();

  await log.seen(3);
  assert.equal(client.transport, 'sse');
  assert.equal(log.all('disconnected').length, 2, 'two failed WebSocket attempts before the fallback');
  assert.deepEqual(log.notifications, range(1, 3));
});

test('transport sse with the WebSocket available: only the stream is used', TEST_TIMEOUT, async () => {
  const user = newUser();
  let sockets = 0;
  class CountingWebSocket extends TestWebSocket {
    constructor(url) {
      super(url);
      sockets++;
    }
  }
  const client = newClient(user, { transport: 'sse', WebSocket: CountingWebSocket });
  const log = new EventLog(client);
  client.start();
  await log.next('synced');
  await server.send(user);
  await log.seen(1);
  assert.equal(sockets, 0);
  assert.equal(client.transport, 'sse');
});

test('a dropped stream resumes with since: nothing lost, nothing twice', TEST_TIMEOUT, async () => {
  const user = newUser();
  const proxy = await TcpProxy.start(server.port);
  proxies.push(proxy);
  const recorder = recordingEventSource();
  const client = newClient(user, { sseUrl: `http://127.0.0.1:${proxy.port}/sse`, EventSource: recorder.EventSource });
  const log = new EventLog(client);
  client.start();
  await log.next('synced');
  for (let i = 0; i < 3; i++) await server.send(user);
  await log.seen(3);

  proxy.cut();
  await log.next('disconnected');
  for (let i = 0; i < 3; i++) await server.send(user);
  await log.seen(6);

  assert.deepEqual(log.notifications, range(1, 6));
  assert.equal(recorder.urls.length, 2);
  assert.equal(recorder.urls[1].searchParams.get('since'), '3');
});

test('a sign-out ends the stream with 4003 and stops the client', TEST_TIMEOUT, async () => {
  const user = newUser();
  const client = newClient(user);
  const log = new EventLog(client);
  client.start();
  await log.next('synced');

  await server.signOut(user);
  const stopped = await log.next('stopped');
  assert.equal(stopped.code, 4003);
  assert.equal(client.state, 'stopped');
});

test('an expiring token: the stream ends with 4001 and the client resumes with a new token, nothing lost', TEST_TIMEOUT, async () => {
  const user = newUser();
  const reasons = [];
  const client = newClient(user, {
    getToken: ({ reason }) => {
      reasons.push(reason);
      return server.token(user, reasons.length === 1 ? 4 : 600);
    },
  });
  const log = new EventLog(client);
  client.start();
  await log.next('synced');
  await server.send(user);
  await log.seen(1);

  const expired = await log.next('disconnected', { filter: (e) => e.code === 4001 });
  assert.equal(expired.willReconnect, true);
  await log.next('synced', { count: 2 });
  await server.send(user);
  await log.seen(2);
  assert.deepEqual(log.notifications, [1, 2]);
  assert.ok(reasons.includes('expired'), `the token after 4001 was asked for as expired: ${reasons}`);
});

test('a server restart (1012) on the stream: the client resumes on the new process with since', TEST_TIMEOUT, async () => {
  const first = await NotifyPushServer.start();
  let current = first;
  const user = newUser();
  const client = newClient(user, { url: first.socketUrl, getToken: () => current.token(user) });
  running.push(client);
  const log = new EventLog(client);
  try {
    client.start();
    await log.next('synced');
    await first.send(user);
    await log.seen(1);

    await first.terminate();
    const restarting = await log.next('disconnected');
    assert.equal(restarting.code, 1012);
    const second = await NotifyPushServer.start({ port: first.port, dataDirectory: first.dataDirectory });
    current = second;
    try {
      await second.send(user);
      await log.seen(2, 60_000);
      assert.deepEqual(log.notifications, [1, 2]);
      assert.equal(client.transport, 'sse');
    } finally {
      client.stop();
      await second.dispose();
    }
  } finally {
    await first.dispose();
  }
});
