// Closes that need a server of their own: 1012 from a restart (SIGTERM, then a new process on the same port and
// SQLite file) and 4008 from a client that stopped reading (a tiny send queue).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, test } from 'node:test';
import { NotifyPushClient } from '../notifypush.js';
import { TcpProxy } from './support/proxy.mjs';
import { NotifyPushServer } from './support/server.mjs';
import { recordingWebSocket } from './support/sockets.mjs';
import { EventLog, range, waitFor } from './support/wait.mjs';
import { TestWebSocket } from './support/websocket.mjs';

const TEST_TIMEOUT = { timeout: 240_000 };

const cleanup = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function newClient(user, tokenServer, options) {
  const client = new NotifyPushClient({
    getToken: () => tokenServer().token(user),
    backoff: { firstMs: 200, maxMs: 1000 },
    heartbeatGraceMs: 4000,
    WebSocket: TestWebSocket,
    connectivity: null,
    ...options,
  });
  cleanup.push(() => client.stop());
  return client;
}

test('1012 from a restarting server: reconnects to the new process with since, nothing lost', TEST_TIMEOUT, async (t) => {
  const first = await NotifyPushServer.start();
  cleanup.push(() => first.dispose());
  let current = first;
  const user = `js-${randomUUID()}`;
  const wire = recordingWebSocket();
  const client = newClient(user, () => current, { url: first.socketUrl, WebSocket: wire.WebSocket });
  const log = new EventLog(client);
  client.start();
  await log.next('synced');
  for (let i = 0; i < 3; i++) await first.send(user);
  await log.seen(3);

  await first.terminate();
  const restarting = await log.next('disconnected');
  // The client keeps retrying the same address while nothing listens there.
  const second = await NotifyPushServer.start({ port: first.port, dataDirectory: first.dataDirectory });
  cleanup.push(() => second.dispose());
  current = second;
  await second.send(user);
  await second.send(user);
  await log.seen(5);

  t.diagnostic(`${wire.sockets.length} connection attempts; disconnects: ${log.all('disconnected').map((d) => d.code).join(', ')}`);
  assert.deepEqual(restarting, { code: 1012, reason: 'server restarting', willReconnect: true, delayMs: restarting.delayMs });
  assert.ok(restarting.delayMs >= 0 && restarting.delayMs < 200, `first retry within firstMs: ${restarting.delayMs} ms`);
  assert.deepEqual(log.notifications, range(1, 5));
  for (const socket of wire.sockets.slice(1)) assert.equal(socket.url.searchParams.get('since'), '3');
  await waitFor(async () => (await second.history(user)).ackedSeq === 5, { message: 'ackedSeq 5 on the new server' });
});

test('4008 for a client that stopped reading: it reconnects and resumes, each notification once and in order', TEST_TIMEOUT, async (t) => {
  const server = await NotifyPushServer.start({
    settings: {
      'NotifyPush:Connections:SendQueueCapacity': '2',
      // Only the send queue may end this socket: no heartbeat timeout and no write timeout while it is not read.
      'NotifyPush:Connections:HeartbeatSeconds': '60',
      'NotifyPush:Connections:HeartbeatTimeoutSeconds': '600',
      'NotifyPush:Connections:SendTimeoutSeconds': '600',
    },
  });
  cleanup.push(() => server.dispose());
  const proxy = await TcpProxy.start(server.port);
  cleanup.push(() => proxy.close());
  const user = `js-${randomUUID()}`;
  const wire = recordingWebSocket();
  const client = newClient(user, () => server, { url: proxy.socketUrl, WebSocket: wire.WebSocket, heartbeatGraceMs: 600_000 });
  const log = new EventLog(client);
  client.start();
  await log.next('synced');

  // What the server writes now piles up in the kernel's buffers until its writes block; then its queue of two
  // frames overflows. Large payloads get there in a few megabytes.
  proxy.stopDownstream();
  const payload = { text: 'x'.repeat(60_000) };
  let sent = 0;
  await waitFor(async () => {
    await server.send(user, 'big', payload);
    sent++;
    return /slow consumer/.test(server.output);
  }, { timeoutMs: 180_000, intervalMs: 0, message: 'the server to close a slow consumer' });
  proxy.resume();

  const overflow = await log.next('disconnected');
  await log.next('connected', { count: 2 });
  await log.seen(sent, 120_000);
  const last = await server.send(user);
  await log.seen(last);

  t.diagnostic(`${sent} notifications of 60 kB filled the buffers; ${wire.sockets.length} sockets; ` +
    `${log.received.filter((n) => n.replayed).length} replayed`);
  assert.equal(overflow.code, 4008);
  assert.equal(overflow.willReconnect, true);
  assert.deepEqual(log.notifications, range(1, last));
  assert.ok(Number(wire.sockets[1].url.searchParams.get('since')) >= 0);
  assert.ok(log.received.some((n) => n.replayed), 'what the full queue held came back from the store');
});
