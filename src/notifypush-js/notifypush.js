// notifypush.js: the browser client of NotifyPush. One ES module, no dependencies.
// The wire protocol it speaks is docs/protocol.md; its API is README.md beside this file.

/** Close codes of the NotifyPush socket (docs/protocol.md, "Close codes"). */
export const CloseCodes = Object.freeze({
  Normal: 1000,
  GoingAway: 1001,
  Abnormal: 1006,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  InternalError: 1011,
  ServiceRestart: 1012,
  CredentialExpired: 4001,
  SignedOut: 4003,
  SlowConsumer: 4008,
  MalformedFrame: 4400,
});

/**
 * What the client does after the socket closed with `code`.
 * @param {number} code
 * @returns {'stop' | 'reauth' | 'reconnect'} 'stop': terminal; 'reauth': get a new token and reconnect;
 *   'reconnect': back off, then resume with `since`.
 */
export function closeAction(code) {
  switch (code) {
    case CloseCodes.SignedOut: // the application signed the user out: reconnecting would undo that
    case CloseCodes.PolicyViolation: // the token provider hands out another user's token
    case CloseCodes.MessageTooBig: // reconnecting repeats the same frame
    case CloseCodes.MalformedFrame:
      return 'stop';
    case CloseCodes.CredentialExpired:
      return 'reauth';
    default: // 1001, 1011, 1012, 4008, 1006 and anything unknown: the stream is in the store, resume it
      return 'reconnect';
  }
}

/**
 * Full-jitter exponential backoff: a random delay in [0, min(maxMs, firstMs * 2^attempt)).
 * Spreading every retry over the whole window keeps thousands of clients of a restarted replica from
 * reconnecting in step.
 * @param {number} attempt 0 for the first retry.
 * @param {{firstMs?: number, maxMs?: number}} [options] defaults 5000 and 60000.
 * @param {() => number} [random] a number in [0, 1).
 * @returns {number} whole milliseconds.
 */
export function backoffDelay(attempt, { firstMs = 5000, maxMs = 60000 } = {}, random = Math.random) {
  // 2 ** attempt grows to Infinity after ~1000 attempts; min() keeps the window at the cap.
  return Math.floor(random() * Math.min(maxMs, firstMs * 2 ** attempt));
}

/** The retry counter of one client: `next()` gives the delay of the next retry, `reset()` starts over. */
export class Backoff {
  #options;
  #random;
  #attempt = 0;

  /**
   * @param {{firstMs?: number, maxMs?: number}} [options]
   * @param {() => number} [random]
   */
  constructor(options = {}, random = Math.random) {
    this.#options = options;
    this.#random = random;
  }

  /** Retries since the last reset. */
  get attempt() {
    return this.#attempt;
  }

  /** @returns {number} milliseconds to wait before the next retry. */
  next() {
    return backoffDelay(this.#attempt++, this.#options, this.#random);
  }

  reset() {
    this.#attempt = 0;
  }
}

/**
 * The client's place in the user's stream: the highest seq whose handlers completed. Anything at or below it
 * is a duplicate; it is the `since` of the next connection.
 */
export class ResumePoint {
  /** @param {number | null} [position] */
  constructor(position = null) {
    /** @type {number | null} */
    this.position = position ?? null;
  }

  /** @param {number} seq */
  isDuplicate(seq) {
    return this.position !== null && seq <= this.position;
  }

  /** Records that the handlers of `seq` completed. @param {number} seq */
  advance(seq) {
    if (!this.isDuplicate(seq)) this.position = seq;
  }

  /**
   * Applies the `synced` frame of a socket opened with `since`. Its seq is the stream's position after the
   * replay: higher than ours when retention removed the seqs in between (there is nothing to wait for), lower
   * only when `since` was ahead of the stream (state from another deployment or a restored database). Keeping
   * ours then would drop every new notification as a duplicate, so the stream's word wins.
   * @param {number} seq
   * @param {number | null} since
   */
  synced(seq, since) {
    if (this.position === null || seq > this.position || (since !== null && seq < since)) this.position = seq;
  }
}

/**
 * The acknowledgements of one socket. The server closes a socket with 4400 when it acknowledges a seq beyond
 * the last one sent on it, and until the replay starts it has not even settled where the socket begins. So
 * the limit is what this socket has shown (a notification's seq, `synced.seq`), never the `since` we asked
 * for, even when the position handled from an earlier socket is higher.
 */
export class AckWindow {
  /** Highest seq this socket has shown. */
  limit = 0;
  /** Highest seq acknowledged on this socket. */
  sent = 0;

  /** @param {number} seq */
  received(seq) {
    if (seq > this.limit) this.limit = seq;
  }

  /**
   * The ack to send now that `position` is handled, or null when there is nothing new this socket may
   * acknowledge. Acks are cumulative, so one for the last of a burst covers the burst.
   * @param {number | null} position
   * @returns {number | null}
   */
  next(position) {
    if (position === null) return null;
    const seq = Math.min(position, this.limit);
    if (seq <= this.sent) return null;
    this.sent = seq;
    return seq;
  }
}

/**
 * The socket URL of one connection attempt.
 * @param {string} url ws(s):// URL, or an http(s) URL or path (resolved against `base`).
 * @param {{token?: string | null, since?: number | null}} [query]
 * @param {string} [base] defaults to the page's location.
 * @returns {string}
 */
export function socketUrl(url, { token = null, since = null } = {}, base = globalThis.location?.href) {
  const target = new URL(url, base);
  if (target.protocol === 'http:') target.protocol = 'ws:';
  else if (target.protocol === 'https:') target.protocol = 'wss:';
  // Browsers cannot set headers on a WebSocket: the token goes in the query, which the server never logs.
  if (token) target.searchParams.set('access_token', token);
  if (since !== null && since !== undefined) target.searchParams.set('since', String(since));
  return target.href;
}

const OPEN = 1;
// Acks wait while more notifications are queued, but not forever under a steady stream.
const MAX_UNACKED = 100;

/** The queue item of a `notification` frame. */
function notificationItem({ seq, id, event, payload, createdAt }, replayed) {
  return { kind: 'notification', notification: { seq, id, event, payload, createdAt, replayed } };
}

/** The queue item of a `synced` frame on a socket opened with `since`. */
function syncedItem(frame, since) {
  return { kind: 'synced', seq: frame.seq, recovered: frame.recovered !== false, since };
}

/**
 * A user's notification stream over one WebSocket (or, in shared mode, one per browser): resumes after every
 * disconnect from where its handlers got to, delivers each notification once and in order, acknowledges what
 * the handlers completed.
 */
export class NotifyPushClient {
  #options;
  #handlers = new Map();
  #state = 'idle';
  #role = 'solo';
  #resume;
  /** The highest seq queued or handled: where what this tab has ends (ahead of #resume while handlers run). */
  #received;
  #backoff;
  /** Notifications and `synced` markers waiting for the handlers, in arrival order. */
  #queue = [];
  #draining = false;
  #unacked = 0;
  /** The current socket and what it has shown; null between connections. */
  #conn = null;
  #timer = null;
  /** Bumped whenever the pending connection attempt is abandoned, so a late token or socket is dropped. */
  #epoch = 0;
  #offline = false;
  #lastCloseExpired = false;
  #shared = null;
  /** Shared mode: the leader's state, shown by a follower except while it catches up. */
  #leaderState = 'connecting';
  /** Shared mode: a follower's own short-lived socket fetching what it missed; null when not catching up. */
  #catchUp = null;

  /**
   * @param {object} [options] `url`, `getToken`, `since`, `backoff`, `heartbeatGraceMs`, `connectTimeoutMs`,
   *   `shared`, `WebSocket`, `locks`, `BroadcastChannel`, `connectivity`: see notifypush.d.ts and README.md.
   */
  constructor(options = {}) {
    const shared = options.shared ? { name: options.shared.name ?? 'notifypush' } : null;
    this.#options = {
      url: options.url ?? '/ws',
      getToken: options.getToken ?? null,
      heartbeatGraceMs: options.heartbeatGraceMs ?? 10000,
      connectTimeoutMs: options.connectTimeoutMs ?? 20000,
      WebSocket: options.WebSocket ?? globalThis.WebSocket,
      shared,
      locks: options.locks ?? globalThis.navigator?.locks ?? null,
      BroadcastChannel: options.BroadcastChannel ?? globalThis.BroadcastChannel ?? null,
      connectivity:
        options.connectivity !== undefined
          ? options.connectivity
          : typeof globalThis.addEventListener === 'function' ? globalThis : null,
    };
    if (typeof this.#options.WebSocket !== 'function') {
      throw new TypeError('NotifyPushClient: no WebSocket implementation; pass options.WebSocket.');
    }
    socketUrl(this.#options.url); // throws now, not on every retry, when the URL cannot be resolved
    this.#resume = new ResumePoint(options.since ?? null);
    this.#received = new ResumePoint(this.#resume.position);
    this.#backoff = new Backoff(options.backoff);
  }

  /** @returns {'idle' | 'connecting' | 'syncing' | 'live' | 'reconnecting' | 'stopped'} */
  get state() {
    return this.#state;
  }

  /** Highest seq whose handlers completed: the resume point (`options.since` until then; else null). */
  get position() {
    return this.#resume.position;
  }

  /** @returns {'solo' | 'leader' | 'follower'} */
  get role() {
    return this.#role;
  }

  /**
   * Adds an event handler. `notification` handlers may return a promise: the next notification waits for it.
   * @param {string} event
   * @param {(detail: any) => unknown} handler
   * @returns {() => void} removes the handler.
   */
  on(event, handler) {
    if (!this.#handlers.has(event)) this.#handlers.set(event, new Set());
    this.#handlers.get(event).add(handler);
    return () => this.off(event, handler);
  }

  /** Removes a handler added with `on`. */
  off(event, handler) {
    this.#handlers.get(event)?.delete(handler);
  }

  /** Connects (or, in shared mode, joins the browser's shared connection). Again after `stop()`: resumes. */
  start() {
    if (this.#state !== 'idle' && this.#state !== 'stopped') return;
    this.#offline = false;
    this.#lastCloseExpired = false;
    this.#backoff.reset();
    this.#received = new ResumePoint(this.#resume.position); // stop() dropped what was queued
    this.#listenToConnectivity(true);
    const { shared, locks, BroadcastChannel } = this.#options;
    if (shared && locks && BroadcastChannel) this.#join(shared.name);
    else this.#connect('connect');
  }

  /** Closes the socket with 1000 and stops reconnecting; state 'stopped'. In shared mode another tab takes over. */
  stop() {
    if (this.#state === 'idle' || this.#state === 'stopped') return;
    this.#halt(CloseCodes.Normal, 'stopped by the application', false);
  }

  // ---- one connection ----------------------------------------------------------------------------------

  async #connect(reason) {
    const epoch = ++this.#epoch;
    clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#offline) return; // 'online' connects
    this.#setState('connecting');
    const conn = await this.#open(reason, this.#resume, () => epoch === this.#epoch);
    if (conn === null) return; // stopped, offline or superseded while the token was fetched
    if (conn.failed) {
      this.#retry(CloseCodes.Abnormal, conn.failed);
      return;
    }
    Object.assign(conn, { acks: new AckWindow(), welcome: null, pinged: false, synced: false });
    this.#conn = conn;
    this.#watch(conn, (reason) => this.#abandon(conn, reason));
    conn.ws.onmessage = (event) => this.#onFrame(conn, event.data);
    conn.ws.onclose = (event) => this.#onClose(conn, event.code, event.reason);
    // An error is a failed connection: in browsers a close with 1006 follows it, but some implementations
    // (Node 20's) never send that close after a failed handshake. Acting on the error is the same decision.
    conn.ws.onerror = () => this.#onClose(conn, CloseCodes.Abnormal, 'connection failed');
  }

  /**
   * Gets a token, then opens a socket resuming after `resume.position` as it is then. Resolves with the
   * connection `{ws, since, heartbeatMs, watchdog}`, with `{failed: reason}` (reported as an error), or with
   * null when `current()` turned false while the token was fetched.
   */
  async #open(reason, resume, current) {
    let token = null;
    try {
      token = this.#options.getToken ? await this.#options.getToken({ reason }) : null;
    } catch (error) {
      if (!current()) return null;
      this.#emitError(error);
      return { failed: 'token provider failed' };
    }
    if (!current()) return null;
    const since = resume.position;
    try {
      const ws = new this.#options.WebSocket(socketUrl(this.#options.url, { token, since }));
      return { ws, since, heartbeatMs: 0, watchdog: null };
    } catch (error) {
      this.#emitError(error);
      return { failed: 'the WebSocket could not be created' };
    }
  }

  /** Reads a frame of `conn` and re-arms its watchdog; null (reported) when it is not a JSON object. */
  #read(conn, data, onSilent) {
    let frame = null;
    try {
      frame = JSON.parse(data);
    } catch {
      // Reported below.
    }
    if (frame === null || typeof frame !== 'object') {
      this.#emitError(new Error('NotifyPush: the server sent a frame that is not a JSON object.'));
      return null;
    }
    // Any frame proves the server is alive. Pings come every heartbeatSeconds, so a longer silence means a
    // half-open connection (a sleeping laptop, a NAT that forgot us) that may never report a close.
    if (frame.type === 'welcome') conn.heartbeatMs = (Number(frame.heartbeatSeconds) || 25) * 1000;
    this.#watch(conn, onSilent);
    return frame;
  }

  #onFrame(conn, data) {
    if (conn !== this.#conn) return;
    const frame = this.#read(conn, data, (reason) => this.#abandon(conn, reason));
    switch (frame?.type) {
      case 'welcome':
        conn.welcome = { userId: frame.userId, connectionId: frame.connectionId, heartbeatSeconds: frame.heartbeatSeconds };
        this.#setState('syncing');
        this.#announce('connected', conn.welcome);
        break;
      case 'notification':
        conn.acks.received(frame.seq);
        this.#enqueue(notificationItem(frame, !conn.synced), true);
        break;
      case 'synced':
        conn.synced = true;
        conn.acks.received(frame.seq);
        this.#setState('live');
        this.#enqueue(syncedItem(frame, conn.since), true);
        break;
      case 'ping':
        // A socket that lived a whole heartbeat is healthy: the next failure starts the backoff over. Not
        // earlier: a server that accepts and closes at once (a stale token, a failing store) must not be
        // hammered.
        if (!conn.pinged) {
          conn.pinged = true;
          this.#backoff.reset();
          this.#lastCloseExpired = false;
        }
        this.#send(conn, { type: 'pong' });
        break;
      case 'token-expiring':
        this.#refreshToken(conn);
        break;
      default:
        break; // a newer server may send frames this client does not know
    }
  }

  async #refreshToken(conn) {
    // Without a token provider the cookie authenticates: the server closes with 4001 at expiry and the
    // reconnect carries the renewed cookie.
    if (!this.#options.getToken) return;
    try {
      const token = await this.#options.getToken({ reason: 'refresh' });
      if (token && conn === this.#conn) this.#send(conn, { type: 'auth', token });
    } catch (error) {
      // The server closes with 4001 when the old token expires; that path gets a new token.
      this.#emitError(error);
    }
  }

  #onClose(conn, code, reason) {
    if (conn !== this.#conn) return;
    this.#drop(conn);
    const action = closeAction(code);
    if (action === 'stop') {
      this.#announce('disconnected', { code, reason, willReconnect: false, delayMs: null });
      this.#halt(code, reason, true);
    } else if (action === 'reauth' && !this.#lastCloseExpired) {
      // An expired token is no reason to wait; a second 4001 before a healthy socket is (the provider keeps
      // handing out stale tokens).
      this.#lastCloseExpired = true;
      this.#retry(code, reason, 'expired', 0);
    } else {
      this.#retry(code, reason, action === 'reauth' ? 'expired' : 'connect');
    }
  }

  /** Gives up on a socket that went silent, without waiting for a close event that may never come. */
  #abandon(conn, reason) {
    if (conn !== this.#conn) return;
    this.#drop(conn);
    this.#close(conn.ws);
    this.#retry(CloseCodes.Abnormal, reason);
  }

  #retry(code, reason, tokenReason = 'connect', delayMs = this.#backoff.next()) {
    if (this.#offline) delayMs = null;
    this.#announce('disconnected', { code, reason, willReconnect: true, delayMs });
    this.#setState('reconnecting');
    if (delayMs !== null) this.#timer = setTimeout(() => this.#connect(tokenReason), delayMs);
  }

  /** (Re)arms the watchdog of `conn`: `onSilent(reason)` when no frame comes within the connect timeout or heartbeat. */
  #watch(conn, onSilent) {
    const ms = conn.heartbeatMs ? conn.heartbeatMs + this.#options.heartbeatGraceMs : this.#options.connectTimeoutMs;
    clearTimeout(conn.watchdog);
    conn.watchdog = setTimeout(() => onSilent(`no frame from the server for ${ms} ms`), ms);
  }

  #drop(conn) {
    clearTimeout(conn.watchdog);
    conn.ws.onmessage = conn.ws.onclose = conn.ws.onerror = null;
    if (this.#conn === conn) this.#conn = null;
  }

  #close(ws) {
    try {
      ws.close(CloseCodes.Normal);
    } catch {
      // Already closing; nothing more to do.
    }
  }

  #send(conn, frame) {
    if (conn.ws.readyState === OPEN) conn.ws.send(JSON.stringify(frame));
  }

  /** Ends this client's part: no socket, no timers, no queue. `fromServer`: a terminal close code. */
  #halt(code, reason, fromServer) {
    this.#epoch++;
    clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#conn) {
      const { ws } = this.#conn;
      this.#drop(this.#conn);
      this.#close(ws);
    }
    // Handlers of what is still queued never run; the server replays it to whoever resumes from the position.
    this.#queue.length = 0;
    this.#listenToConnectivity(false);
    this.#leave(fromServer ? { code, reason } : null);
    this.#setState('stopped');
    this.#emit('stopped', { code, reason });
  }

  // ---- handlers and acknowledgements -------------------------------------------------------------------

  #enqueue(item, relay) {
    if (relay && this.#role === 'leader') this.#post({ t: 'item', item });
    if (item.kind === 'synced') this.#received.synced(item.seq, item.since);
    else this.#received.advance(item.notification.seq);
    this.#queue.push(item);
    if (!this.#draining) this.#drain();
  }

  /** Hands queued notifications to the handlers one at a time; only one drain runs at a time. */
  async #drain() {
    this.#draining = true;
    try {
      while (this.#queue.length > 0) {
        const item = this.#queue.shift();
        if (item.kind === 'synced') {
          this.#resume.synced(item.seq, item.since);
          this.#emit('synced', { seq: item.seq, recovered: item.recovered });
        } else if (!this.#resume.isDuplicate(item.notification.seq)) {
          await this.#deliver(item.notification);
          this.#resume.advance(item.notification.seq);
        }
        this.#unacked++;
        if (this.#queue.length === 0 || this.#unacked >= MAX_UNACKED) this.#acknowledge();
      }
    } finally {
      this.#draining = false;
    }
  }

  async #deliver(notification) {
    const handlers = this.#handlers.get('notification');
    if (!handlers) return;
    for (const handler of [...handlers]) {
      try {
        await handler(notification);
      } catch (error) {
        // The application owns its errors; the notification still counts as handled.
        this.#emitError(error);
      }
    }
  }

  #acknowledge() {
    this.#unacked = 0;
    const conn = this.#conn;
    const seq = conn ? conn.acks.next(this.#resume.position) : null;
    if (seq !== null) this.#send(conn, { type: 'ack', seq });
  }

  // ---- events ------------------------------------------------------------------------------------------

  #setState(state) {
    const previous = this.#state;
    if (state === previous) return;
    this.#state = state;
    if (this.#role === 'leader' && state !== 'stopped') this.#post({ t: 'state', state });
    this.#emit('state', { state, previous });
  }

  #setRole(role) {
    const previous = this.#role;
    if (role === previous) return;
    this.#role = role;
    this.#emit('role', { role, previous });
  }

  /** Emits here and, from a leader, in every follower tab. */
  #announce(name, detail) {
    if (this.#role === 'leader') this.#post({ t: 'event', name, detail });
    this.#emit(name, detail);
  }

  #emit(name, detail) {
    const handlers = this.#handlers.get(name);
    if (!handlers) return;
    for (const handler of [...handlers]) {
      try {
        const result = handler(detail);
        if (name !== 'error' && typeof result?.then === 'function') result.then(undefined, (error) => this.#emitError(error));
      } catch (error) {
        if (name !== 'error') this.#emitError(error); // an 'error' handler that throws would loop
      }
    }
  }

  #emitError(error) {
    // Nobody listening must not mean nobody hears of a handler bug or a failing token provider.
    if (this.#handlers.get('error')?.size) this.#emit('error', { error });
    else globalThis.console?.error('NotifyPush:', error);
  }

  // ---- connectivity ------------------------------------------------------------------------------------

  #onOffline = () => {
    if (this.#role === 'follower' || this.#state === 'stopped') return;
    this.#offline = true;
    this.#epoch++;
    clearTimeout(this.#timer);
    this.#timer = null;
    const conn = this.#conn;
    if (conn) {
      this.#drop(conn);
      this.#close(conn.ws);
    }
    // The socket is as good as dead; waiting for its close could take minutes. 'online' reconnects.
    if (this.#state !== 'reconnecting') this.#retry(CloseCodes.Abnormal, 'the browser went offline', 'connect', null);
  };

  #onOnline = () => {
    if (!this.#offline) return;
    this.#offline = false;
    if (this.#state === 'reconnecting' && this.#role !== 'follower') {
      this.#backoff.reset();
      this.#connect('connect');
    }
  };

  #listenToConnectivity(on) {
    const target = this.#options.connectivity;
    if (!target) return;
    const method = on ? 'addEventListener' : 'removeEventListener';
    target[method]('offline', this.#onOffline);
    target[method]('online', this.#onOnline);
  }

  // ---- shared mode: one socket per browser -------------------------------------------------------------
  // The tab holding the Web Lock leads: it owns the socket and posts every queued item, state change and
  // event on a BroadcastChannel. Followers run the same queue, dedupe and handlers on what it posts, each
  // with its own position. When the leader's tab closes the browser releases the lock and the next tab in
  // line leads, resuming with since = its own position: what it has not handled is replayed, and every tab
  // drops what it already has.
  //
  // The channel carries the stream from the moment a tab joined. A follower that has less (it joined with an
  // older position, or a relayed seq skips past what it has) catches up on a socket of its own: since = the
  // last seq it has, read until `synced`, then closed with 1000. Relayed items wait meanwhile and then go
  // through the same check, so its handlers still see every seq once and in order. That socket never
  // acknowledges: the leader does, for the user.

  #join(name) {
    const abort = new AbortController();
    const channel = new this.#options.BroadcastChannel(name);
    // Answers to this tab's hello carry its id, so the other followers do not take them for news.
    const shared = { channel, abort, release: null, id: Math.random().toString(36).slice(2) };
    this.#shared = shared;
    channel.onmessage = (event) => this.#onShared(event.data);
    this.#setRole('follower');
    this.#leaderState = 'connecting';
    this.#setState('connecting');
    channel.postMessage({ t: 'hello', id: shared.id }); // a leader answers with its state and where it is
    this.#options.locks
      .request(`${name}:leader`, { signal: abort.signal }, () => {
        if (this.#shared !== shared) return undefined; // stopped while the grant was on its way
        // The leader's socket resumes from this tab's position: a catch-up has nothing left to add.
        this.#endCatchUp();
        this.#setRole('leader');
        this.#connect('connect');
        // The lock is held until this promise settles: on stop() or when the tab goes away.
        return new Promise((release) => {
          shared.release = release;
        });
      })
      .catch((error) => {
        if (error?.name !== 'AbortError') this.#emitError(error);
      });
  }

  #onShared(message) {
    if (this.#role === 'leader') {
      if (message?.t === 'hello') {
        // Every seq after `seq` reaches the channel from now on (this socket's, or the next one's replay from our
        // position, which is not higher). Null: this socket has shown nothing yet.
        const conn = this.#conn;
        const seq = conn && (conn.synced || conn.acks.limit > 0) ? conn.acks.limit : null;
        this.#post({ t: 'state', state: this.#state, seq, to: message.id });
        if (conn?.welcome) this.#post({ t: 'event', name: 'connected', detail: conn.welcome, to: message.id });
      } else if (message?.t === 'stopped') {
        // The previous leader stopped for every tab (signed out), but the lock reached us before its message.
        this.#halt(message.code, message.reason, true);
      }
      return; // items from an earlier leader are replayed to us by the server anyway
    }
    if (this.#role !== 'follower' || (message?.to !== undefined && message.to !== this.#shared?.id)) return;
    switch (message?.t) {
      case 'item':
        this.#onRelayed(message.item);
        break;
      case 'state': {
        // The answer to our hello says where the leader's stream is. Null on either side: the stream starts where
        // this tab joined, or the leader's first frames will tell.
        const have = this.#received.position;
        const seq = message.to === undefined ? null : message.seq ?? null;
        if (!this.#catchUp && have !== null && seq !== null && seq !== have) this.#startCatchUp([]);
        this.#leaderState = message.state;
        if (!this.#catchUp) this.#setState(message.state);
        break;
      }
      case 'event':
        this.#emit(message.name, message.detail);
        break;
      case 'stopped':
        this.#halt(message.code, message.reason, false);
        break;
      default:
        break;
    }
  }

  /** A follower queues a relayed item when it continues what the tab has; otherwise it catches up first. */
  #onRelayed(item) {
    const have = this.#received.position;
    if (this.#catchUp) {
      this.#catchUp.pending.push(item);
    } else if (have !== null && (item.kind === 'notification'
      ? item.notification.seq > have + 1
      // A synced may pass seqs the store no longer holds, but only a replay that began where this tab is says so.
      : item.seq > have && item.since !== have)) {
      this.#startCatchUp([item]);
    } else {
      this.#enqueue(item, false);
    }
  }

  #startCatchUp(pending) {
    this.#catchUp = { pending, conn: null, timer: null, backoff: new Backoff(this.#options.backoff) };
    this.#setState('syncing');
    this.#openCatchUp(this.#catchUp, 'connect');
  }

  async #openCatchUp(catchUp, reason) {
    const conn = await this.#open(reason, this.#received, () => catchUp === this.#catchUp);
    if (conn === null) return;
    if (conn.failed) {
      this.#retryCatchUp(catchUp, 'connect');
      return;
    }
    catchUp.conn = conn;
    this.#watch(conn, (why) => this.#onCatchUpClose(catchUp, CloseCodes.Abnormal, why));
    conn.ws.onmessage = (event) => this.#onCatchUpFrame(catchUp, event.data);
    conn.ws.onclose = (event) => this.#onCatchUpClose(catchUp, event.code, event.reason);
    conn.ws.onerror = () => this.#onCatchUpClose(catchUp, CloseCodes.Abnormal, 'connection failed');
  }

  #onCatchUpFrame(catchUp, data) {
    if (catchUp !== this.#catchUp) return;
    const { conn } = catchUp;
    const frame = this.#read(conn, data, (why) => this.#onCatchUpClose(catchUp, CloseCodes.Abnormal, why));
    switch (frame?.type) {
      case 'notification':
        this.#enqueue(notificationItem(frame, true), false);
        break;
      case 'synced': {
        // Its `synced` is this tab's: recovered:false tells the application what it missed is gone.
        this.#enqueue(syncedItem(frame, conn.since), false);
        const { pending } = catchUp;
        this.#endCatchUp();
        for (const item of pending) this.#onRelayed(item); // may start the next catch-up, which takes the rest
        if (!this.#catchUp) this.#setState(this.#leaderState);
        break;
      }
      case 'ping':
        this.#send(conn, { type: 'pong' });
        break;
      default:
        break; // welcome, token-expiring: the socket is gone before either matters
    }
  }

  #onCatchUpClose(catchUp, code, reason) {
    if (catchUp !== this.#catchUp) return;
    this.#drop(catchUp.conn);
    this.#close(catchUp.conn.ws);
    catchUp.conn = null;
    const action = closeAction(code);
    // A sign-out (4003) reaches the leader's socket too; this tab need not wait for its message.
    if (action === 'stop') this.#halt(code, reason, true);
    else this.#retryCatchUp(catchUp, action === 'reauth' ? 'expired' : 'connect');
  }

  /** Tries again after a backoff: a refused handshake (429: the user's sockets are at the limit) or a failure. */
  #retryCatchUp(catchUp, tokenReason) {
    catchUp.timer = setTimeout(() => this.#openCatchUp(catchUp, tokenReason), catchUp.backoff.next());
  }

  #endCatchUp() {
    const catchUp = this.#catchUp;
    if (!catchUp) return;
    this.#catchUp = null;
    clearTimeout(catchUp.timer);
    if (catchUp.conn) {
      this.#drop(catchUp.conn);
      this.#close(catchUp.conn.ws);
    }
  }

  #post(message) {
    this.#shared?.channel.postMessage(message);
  }

  /** Leaves shared mode. `terminal`: a close code that stops every tab (e.g. 4003 signed out). */
  #leave(terminal) {
    const shared = this.#shared;
    if (!shared) return;
    this.#endCatchUp();
    if (this.#role === 'leader') {
      // Followers stop with us on a terminal code; otherwise they wait for the next leader.
      shared.channel.postMessage(terminal ? { t: 'stopped', ...terminal } : { t: 'state', state: 'reconnecting' });
    }
    this.#shared = null;
    shared.abort.abort();
    shared.release?.();
    shared.channel.close();
    this.#setRole('solo');
  }
}
