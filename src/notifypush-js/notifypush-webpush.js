// notifypush-webpush.js: Web Push for a NotifyPush user, a module of notifypush.js. enableWebPush registers the
// service worker (notifypush-sw.js, served from the application's own origin), asks for permission, subscribes with the
// server's VAPID key and saves the subscription on the server (POST /push/subscriptions) with the user's credential;
// disableWebPush removes it (DELETE /push/subscriptions) and unsubscribes. docs/frontend.md describes the flow.

/** @import { WebPushOptions, WebPushErrorCode, WebPushFetchLike, PushSubscriptionJSONLike } from './notifypush.js' */

/** A Web Push step that failed, with what failed (`code`) and, for the server's refusals, its status and problem. */
export class WebPushError extends Error {
  /**
   * @param {WebPushErrorCode} code
   * @param {string} message
   * @param {{status?: number | null, cause?: unknown}} [details]
   */
  constructor(code, message, { status = null, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'WebPushError';
    /** @type {WebPushErrorCode} */
    this.code = code;
    /** @type {number | null} */
    this.status = status;
  }
}

/**
 * The server's VAPID key as the bytes `pushManager.subscribe` takes.
 * @param {string} base64url
 * @returns {Uint8Array<ArrayBuffer>}
 */
export function applicationServerKey(base64url) {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (base64url.length % 4)) % 4);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) {
    bytes[i] = binary.charCodeAt(i);
  }

  return bytes;
}

/**
 * Registers the service worker, subscribes the browser to pushes and saves the subscription for the signed-in user.
 * Resolves with the subscription as saved; rejects with a WebPushError saying which step failed.
 * @param {WebPushOptions} options
 * @returns {Promise<PushSubscriptionJSONLike>}
 */
export async function enableWebPush(options) {
  const settings = defaults(options);
  const container = settings.serviceWorkerContainer;
  if (!container || typeof container.register !== 'function') {
    throw new WebPushError('unsupported', 'This browser has no service workers (navigator.serviceWorker), or the page is not a secure context.');
  }

  const NotificationApi = settings.Notification;
  if (NotificationApi && typeof NotificationApi.requestPermission === 'function' && NotificationApi.permission !== 'granted') {
    const permission = await NotificationApi.requestPermission();
    if (permission !== 'granted') {
      throw new WebPushError('permission-denied', `Notification permission is '${permission}': the browser will not show pushes.`);
    }
  }

  let registration;
  try {
    await container.register(workerUrl(settings), settings.scope ? { scope: settings.scope } : undefined);
    registration = await container.ready;
  } catch (cause) {
    throw new WebPushError('service-worker-failed', `The service worker ${settings.serviceWorker} could not be registered: ${messageOf(cause)}`, { cause });
  }

  if (!registration?.pushManager) {
    throw new WebPushError('unsupported', 'This browser has no Push API (registration.pushManager).');
  }

  const key = await publicKey(settings);
  let subscription;
  try {
    const existing = await registration.pushManager.getSubscription();
    if (existing && !sameKey(existing.options?.applicationServerKey, key)) {
      // Subscribed under another VAPID key (a rotated one): the push service would refuse our pushes to it.
      await existing.unsubscribe();
    }

    subscription = (existing && sameKey(existing.options?.applicationServerKey, key) ? existing : null)
      ?? await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  } catch (cause) {
    throw new WebPushError('subscribe-failed', `The browser could not subscribe to its push service: ${messageOf(cause)}`, { cause });
  }

  const json = subscription.toJSON();
  await call(settings, 'POST', '/push/subscriptions', { endpoint: json.endpoint, keys: json.keys });
  return json;
}

/**
 * Removes this browser's subscription from the server and unsubscribes it. Resolves false when it had none.
 * @param {WebPushOptions} options
 * @returns {Promise<boolean>}
 */
export async function disableWebPush(options) {
  const settings = defaults(options);
  const container = settings.serviceWorkerContainer;
  if (!container || typeof container.getRegistration !== 'function') {
    return false;
  }

  const registration = await container.getRegistration(settings.scope ?? undefined);
  const subscription = await registration?.pushManager?.getSubscription();
  if (!subscription) {
    return false;
  }

  // The server first: a browser unsubscribed but still on record would cost a push and a 410 before it is removed.
  await call(settings, 'DELETE', '/push/subscriptions', { endpoint: subscription.endpoint });
  await subscription.unsubscribe();
  return true;
}

/**
 * @param {WebPushOptions} options
 */
function defaults(options) {
  if (!options || typeof options !== 'object') {
    throw new TypeError('enableWebPush/disableWebPush need options: { serverUrl, getToken }.');
  }

  const nav = /** @type {any} */ (globalThis).navigator;
  return {
    serverUrl: (options.serverUrl ?? /** @type {any} */ (globalThis).location?.origin ?? '').replace(/\/+$/, ''),
    getToken: options.getToken ?? null,
    serviceWorker: options.serviceWorker ?? '/notifypush-sw.js',
    scope: options.scope ?? null,
    ackOnClick: options.ackOnClick ?? false,
    serviceWorkerContainer: options.serviceWorkerContainer === undefined ? (nav?.serviceWorker ?? null) : options.serviceWorkerContainer,
    // Called as a plain function: a browser's fetch called as a method of another object throws "Illegal invocation".
    fetch: options.fetch ?? /** @type {WebPushFetchLike} */ ((url, init) => /** @type {any} */ (globalThis).fetch(url, init)),
    Notification: options.Notification === undefined ? (/** @type {any} */ (globalThis).Notification ?? null) : options.Notification,
  };
}

/**
 * The worker's URL; with ackOnClick it carries where to acknowledge a clicked push (the worker has no token, so only
 * a cookie credential can work there).
 * @param {ReturnType<typeof defaults>} settings
 */
function workerUrl(settings) {
  if (!settings.ackOnClick) {
    return settings.serviceWorker;
  }

  const separator = settings.serviceWorker.includes('?') ? '&' : '?';
  return `${settings.serviceWorker}${separator}ack=${encodeURIComponent(`${settings.serverUrl}/sse/ack`)}`;
}

/**
 * @param {ReturnType<typeof defaults>} settings
 * @returns {Promise<Uint8Array<ArrayBuffer>>}
 */
async function publicKey(settings) {
  const response = await send(settings, `${settings.serverUrl}/push/vapid-public-key`, { method: 'GET', headers: {}, credentials: 'omit' });
  if (response.status === 404) {
    throw new WebPushError('not-enabled', 'Web Push is not enabled on the server (NotifyPush:WebPush).', { status: 404 });
  }

  if (!response.ok) {
    throw new WebPushError('server-refused', `GET /push/vapid-public-key answered ${response.status}.`, { status: response.status });
  }

  const body = /** @type {{publicKey?: unknown}} */ (await response.json());
  if (typeof body.publicKey !== 'string' || body.publicKey.length === 0) {
    throw new WebPushError('server-refused', 'GET /push/vapid-public-key answered without a publicKey.', { status: response.status });
  }

  return applicationServerKey(body.publicKey);
}

/**
 * A /push call with the user's credential: the token as a bearer header, or (getToken absent or answering null) the
 * cookie, which the server accepts only from an allowed Origin.
 * @param {ReturnType<typeof defaults>} settings
 * @param {'POST' | 'DELETE'} method
 * @param {string} path
 * @param {object} body
 */
async function call(settings, method, path, body) {
  const token = settings.getToken ? await settings.getToken() : null;
  /** @type {Record<string, string>} */
  const headers = { 'Content-Type': 'application/json' };
  if (token) {
    headers.Authorization = `Bearer ${token}`;
  }

  const response = await send(settings, `${settings.serverUrl}${path}`, {
    method,
    headers,
    body: JSON.stringify(body),
    credentials: token ? 'omit' : 'include',
  });
  if (!response.ok) {
    let detail = '';
    try {
      const problem = /** @type {{detail?: string, title?: string, errors?: Record<string, string[]>}} */ (await response.json());
      detail = problem.errors ? Object.values(problem.errors).flat().join(' ') : (problem.detail ?? problem.title ?? '');
    } catch {
      // Not a problem+json body: the status says enough.
    }

    throw new WebPushError(response.status === 404 ? 'not-enabled' : 'server-refused', `${method} ${path} answered ${response.status}${detail ? `: ${detail}` : ''}.`, { status: response.status });
  }
}

/**
 * @param {ReturnType<typeof defaults>} settings
 * @param {string} url
 * @param {Parameters<WebPushFetchLike>[1]} init
 */
async function send(settings, url, init) {
  try {
    const fetchLike = settings.fetch;
    return await fetchLike(url, init);
  } catch (cause) {
    throw new WebPushError('network', `${init.method} ${url} failed: ${messageOf(cause)}`, { cause });
  }
}

/**
 * @param {ArrayBuffer | null | undefined} existing
 * @param {Uint8Array<ArrayBuffer>} key
 */
function sameKey(existing, key) {
  if (!existing) {
    return false;
  }

  const bytes = new Uint8Array(existing);
  return bytes.length === key.length && bytes.every((value, index) => value === key[index]);
}

/** @param {unknown} error */
function messageOf(error) {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
