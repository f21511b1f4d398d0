// The Web Push helper of notifypush.js against a real NotifyPush server with Web Push on: the requests it makes
// (GET /push/vapid-public-key, POST and DELETE /push/subscriptions with the user's token), the browser APIs it drives
// (stand-ins here: Node has no service workers or push manager; tests/NotifyPush.Browser.Tests drives a real
// Chromium) and how each failure surfaces. Also the service worker script, run in a context shaped like a worker.
import assert from 'node:assert/strict';
import { createECDH, randomBytes, randomUUID, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { after, before, test } from 'node:test';
import { applicationServerKey, disableWebPush, enableWebPush, WebPushError } from '../notifypush.js';
import { NotifyPushServer } from './support/server.mjs';

const TEST_TIMEOUT = { timeout: 90_000 };

/** A VAPID key pair as an operator generates one (P-256, base64url). */
function vapidKeys() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const jwk = privateKey.export({ format: 'jwk' });
  const publicKey = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]).toString('base64url');
  return { publicKey, privateKey: jwk.d };
}

const vapid = vapidKeys();
let server;

before(async () => {
  server = await NotifyPushServer.start({
    settings: {
      'NotifyPush:WebPush:Subject': 'mailto:ops@notifypush.test',
      'NotifyPush:WebPush:PublicKey': vapid.publicKey,
      'NotifyPush:WebPush:PrivateKey': vapid.privateKey,
      'NotifyPush:WebPush:MaxSubscriptionsPerUser': '1',
    },
  });
}, { timeout: 120_000 });

after(async () => {
  await server?.dispose();
});

/** A browser's push side: a subscription with a real P-256 key on an allowed push-service host, or a given failure. */
function fakeBrowser({ endpoint = `https://fcm.googleapis.com/fcm/send/${randomUUID()}`, subscribeError = null, permission = 'granted' } = {}) {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const calls = { register: [], subscribe: [], unsubscribed: 0, permissionAsked: 0 };
  let current = null;
  const subscription = (key) => ({
    endpoint,
    options: { applicationServerKey: key.buffer },
    toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') } }),
    unsubscribe: async () => {
      calls.unsubscribed++;
      current = null;
      return true;
    },
  });
  const pushManager = {
    getSubscription: async () => current,
    subscribe: async (options) => {
      calls.subscribe.push(options);
      if (subscribeError) throw subscribeError;
      current = subscription(options.applicationServerKey);
      return current;
    },
  };
  const registration = { pushManager };
  return {
    calls,
    serviceWorkerContainer: {
      register: async (url, options) => {
        calls.register.push({ url, options });
        return registration;
      },
      ready: Promise.resolve(registration),
      getRegistration: async () => registration,
    },
    Notification: {
      permission: 'default',
      requestPermission: async () => {
        calls.permissionAsked++;
        return permission;
      },
    },
  };
}

/** fetch that records each request and passes it to the real server. */
function recordingFetch() {
  const requests = [];
  const fetchLike = async (url, init) => {
    requests.push({ url, ...init, body: init.body === undefined ? undefined : JSON.parse(init.body) });
    return fetch(url, init);
  };
  return { requests, fetch: fetchLike };
}

test('enableWebPush registers the worker, subscribes with the server key and saves the subscription with the bearer token', TEST_TIMEOUT, async () => {
  const user = `u-${randomUUID()}`;
  const token = await server.token(user);
  const browser = fakeBrowser();
  const { requests, fetch } = recordingFetch();

  const saved = await enableWebPush({ serverUrl: server.baseUrl, getToken: () => token, fetch, ...browser });

  assert.deepEqual(browser.calls.register, [{ url: '/notifypush-sw.js', options: undefined }]);
  assert.equal(browser.calls.permissionAsked, 1);
  assert.equal(browser.calls.subscribe.length, 1);
  assert.equal(browser.calls.subscribe[0].userVisibleOnly, true);
  assert.deepEqual([...browser.calls.subscribe[0].applicationServerKey], [...Buffer.from(vapid.publicKey, 'base64url')]);
  assert.deepEqual(requests.map((r) => `${r.method} ${r.url.slice(server.baseUrl.length)}`), ['GET /push/vapid-public-key', 'POST /push/subscriptions']);
  const post = requests[1];
  assert.equal(post.headers.Authorization, `Bearer ${token}`);
  assert.equal(post.headers['Content-Type'], 'application/json');
  assert.equal(post.credentials, 'omit');
  assert.deepEqual(Object.keys(post.body).sort(), ['endpoint', 'keys']);
  assert.equal(post.body.endpoint, saved.endpoint);
  assert.deepEqual(Object.keys(post.body.keys).sort(), ['auth', 'p256dh']);

  // The server holds it: the user's cap of one refuses a second browser, with the server's reason.
  const second = fakeBrowser();
  await assert.rejects(
    enableWebPush({ serverUrl: server.baseUrl, getToken: () => token, ...second }),
    (error) => error instanceof WebPushError && error.code === 'server-refused' && error.status === 409 && /MaxSubscriptionsPerUser/.test(error.message),
  );
});

test('disableWebPush deletes the subscription on the server, then unsubscribes the browser', TEST_TIMEOUT, async () => {
  const user = `u-${randomUUID()}`;
  const token = await server.token(user);
  const browser = fakeBrowser();
  await enableWebPush({ serverUrl: server.baseUrl, getToken: () => token, ...browser });
  const { requests, fetch } = recordingFetch();

  assert.equal(await disableWebPush({ serverUrl: server.baseUrl, getToken: () => token, fetch, ...browser }), true);

  assert.equal(requests.length, 1);
  assert.equal(requests[0].method, 'DELETE');
  assert.equal(requests[0].url, `${server.baseUrl}/push/subscriptions`);
  assert.equal(requests[0].headers.Authorization, `Bearer ${token}`);
  assert.deepEqual(Object.keys(requests[0].body), ['endpoint']);
  assert.equal(browser.calls.unsubscribed, 1);
  assert.equal(await disableWebPush({ serverUrl: server.baseUrl, getToken: () => token, ...browser }), false);

  // Removed on the server: the cap of one has room again.
  await enableWebPush({ serverUrl: server.baseUrl, getToken: () => token, ...fakeBrowser() });
});

test('an endpoint the server will not call surfaces as server-refused with the field\'s reason', TEST_TIMEOUT, async () => {
  const token = await server.token(`u-${randomUUID()}`);
  const browser = fakeBrowser({ endpoint: 'https://169.254.169.254/latest/meta-data' });

  await assert.rejects(
    enableWebPush({ serverUrl: server.baseUrl, getToken: () => token, ...browser }),
    (error) => error instanceof WebPushError && error.code === 'server-refused' && error.status === 400 && /not a push service/.test(error.message),
  );
});

test('a push service the browser cannot reach surfaces as subscribe-failed with its cause, and nothing is saved', TEST_TIMEOUT, async () => {
  const token = await server.token(`u-${randomUUID()}`);
  const cause = new Error('Registration failed - push service error');
  cause.name = 'AbortError';
  const browser = fakeBrowser({ subscribeError: cause });
  const { requests, fetch } = recordingFetch();

  await assert.rejects(
    enableWebPush({ serverUrl: server.baseUrl, getToken: () => token, fetch, ...browser }),
    (error) => error instanceof WebPushError && error.code === 'subscribe-failed' && error.cause === cause && /push service error/.test(error.message),
  );
  assert.deepEqual(requests.map((r) => r.method), ['GET']);
});

test('permission denied stops before any request', TEST_TIMEOUT, async () => {
  const browser = fakeBrowser({ permission: 'denied' });
  const { requests, fetch } = recordingFetch();

  await assert.rejects(
    enableWebPush({ serverUrl: server.baseUrl, getToken: () => 'unused', fetch, ...browser }),
    (error) => error instanceof WebPushError && error.code === 'permission-denied',
  );
  assert.equal(requests.length, 0);
  assert.equal(browser.calls.subscribe.length, 0);
});

test('no service workers surfaces as unsupported', TEST_TIMEOUT, async () => {
  await assert.rejects(
    enableWebPush({ serverUrl: server.baseUrl, serviceWorkerContainer: null, Notification: null }),
    (error) => error instanceof WebPushError && error.code === 'unsupported',
  );
});

test('a server without Web Push surfaces as not-enabled', TEST_TIMEOUT, async () => {
  const plain = await NotifyPushServer.start();
  try {
    await assert.rejects(
      enableWebPush({ serverUrl: plain.baseUrl, getToken: () => 'unused', ...fakeBrowser() }),
      (error) => error instanceof WebPushError && error.code === 'not-enabled' && error.status === 404,
    );
  } finally {
    await plain.dispose();
  }
});

test('applicationServerKey decodes base64url without padding', () => {
  assert.deepEqual([...applicationServerKey('BAEC_-8')], [4, 1, 2, 255, 239]);
});

/** Runs notifypush-sw.js in a context shaped like a service worker's global scope, served from `scriptUrl`. */
function loadWorker(scriptUrl) {
  const listeners = {};
  const shown = [];
  const opened = [];
  const fetched = [];
  const self = {
    location: new URL(scriptUrl),
    addEventListener: (type, listener) => {
      listeners[type] = listener;
    },
    registration: { showNotification: async (title, options) => shown.push({ title, options }) },
    clients: { matchAll: async () => [], openWindow: async (url) => opened.push(url) },
  };
  runInNewContext(readFileSync(new URL('../notifypush-sw.js', import.meta.url), 'utf8'), {
    self,
    URL,
    JSON,
    fetch: async (url, init) => fetched.push({ url, ...init }),
  });
  const dispatch = async (type, event) => {
    let pending;
    listeners[type]({ ...event, waitUntil: (promise) => (pending = promise) });
    await pending;
  };
  return { dispatch, shown, opened, fetched };
}

test('the worker shows a push tagged with the notification id and opens its URL on click', async () => {
  const worker = loadWorker('https://app.example/notifypush-sw.js');
  const id = randomUUID();
  const message = { type: 'order.shipped', seq: 7, id, title: 'Shipped', body: 'Order 42', url: '/orders/42' };

  await worker.dispatch('push', { data: { json: () => message, text: () => JSON.stringify(message) } });

  assert.equal(worker.shown.length, 1);
  assert.equal(worker.shown[0].title, 'Shipped');
  assert.equal(worker.shown[0].options.body, 'Order 42');
  assert.equal(worker.shown[0].options.tag, id);

  let closed = 0;
  await worker.dispatch('notificationclick', { notification: { data: worker.shown[0].options.data, close: () => closed++ } });

  assert.equal(closed, 1);
  assert.deepEqual(worker.opened, ['https://app.example/orders/42']);
  assert.equal(worker.fetched.length, 0);
});

test('the worker with an ack URL acknowledges the clicked seq with the cookie before opening', async () => {
  const worker = loadWorker(`https://app.example/notifypush-sw.js?ack=${encodeURIComponent('https://push.example/sse/ack')}`);

  await worker.dispatch('notificationclick', { notification: { data: { seq: 9, url: 'https://app.example/x' }, close: () => {} } });

  assert.equal(worker.fetched.length, 1);
  assert.equal(worker.fetched[0].url, 'https://push.example/sse/ack');
  assert.equal(worker.fetched[0].method, 'POST');
  assert.equal(worker.fetched[0].credentials, 'include');
  assert.deepEqual(JSON.parse(worker.fetched[0].body), { seq: 9 });
  assert.deepEqual(worker.opened, ['https://app.example/x']);
});
