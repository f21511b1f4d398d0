// notifypush.js: the browser client of NotifyPush, an ES module without dependencies. Its own modules sit beside
// it (README.md beside this file lists them) and load relatively; this one is the entry. NotifyPushClient composes
// them: one connection at a time and its reconnects are its own, the rest is theirs (the handler queue, the events,
// the connectivity watcher, shared mode). The wire protocol it speaks is docs/protocol.md; its API is README.md.

import { ConnectivityWatcher } from './notifypush-connectivity.js';
import { Emitter } from './notifypush-events.js';
import { AckWindow, Backoff, closeAction, CloseCodes, socketUrl } from './notifypush-protocol.js';
import { notificationItem, syncedItem } from './notifypush-protocol.js';
import { HandlerQueue } from './notifypush-queue.js';
import { groupName, SharedTabs, tokenUser } from './notifypush-shared.js';
import { Connector } from './notifypush-socket.js';

export { AckWindow, Backoff, backoffDelay, closeAction, CloseCodes, ResumePoint, socketUrl } from './notifypush-protocol.js';
export { eventStreamUrl } from './notifypush-sse.js';
export { applicationServerKey, disableWebPush, enableWebPush, WebPushError } from './notifypush-webpush.js';

// The types come from notifypush.d.ts (what './notifypush.js' means to TypeScript): `npm run typecheck` holds this
// file's JSDoc to the declarations.
/** @import * as Declared from './notifypush.js' */
/** @import { BackoffOptions, BroadcastChannelConstructorLike, LockManagerLike } from './notifypush.js' */
/** @import { ClientRole, ClientState, ConnectedEvent, NotifyPushEventMap, Transport } from './notifypush.js' */
/** @import { NotifyPushClientOptions, TokenRequest } from './notifypush.js' */
/** @import { QueueItem } from './notifypush-protocol.js' */
/** @import { SharedHost } from './notifypush-shared.js' */
/** @import { Connection, SocketOptions } from './notifypush-socket.js' */

/**
 * The client's options, defaults applied.
 * @typedef {SocketOptions & {
 *   backoff: BackoffOptions | undefined,
 *   shared: {name: string, userId: string | null} | null,
 *   locks: LockManagerLike | null,
 *   BroadcastChannel: BroadcastChannelConstructorLike | null,
 *   connectivity: EventTarget | null,
 * }} ClientOptions
 */

/**
 * The client's socket and what it has shown.
 * @typedef {Connection & {acks: AckWindow, welcome: ConnectedEvent | null, pinged: boolean, synced: boolean}} ClientConnection
 */

/**
 * A user's notification stream over one WebSocket (or, where the network refuses WebSockets, one Server-Sent Events
 * stream; in shared mode, one per browser): resumes after every
 * disconnect from where its handlers got to, delivers each notification once and in order, acknowledges what
 * the handlers completed.
 * @template [TPayload=any]
 * @implements {Declared.NotifyPushClient<TPayload>}
 */
export class NotifyPushClient {
  /** @type {ClientOptions} */
  #options;
  /** @type {Emitter<TPayload>} */
  #events = new Emitter();
  /** @type {ClientState} */
  #state = 'idle';
  /** Notifications and `synced` markers on their way to the handlers, and the positions. @type {HandlerQueue} */
  #queue;
  #backoff;
  #connector;
  #connectivity;
  /** The current socket and what it has shown; null between connections. @type {ClientConnection | null} */
  #conn = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer = undefined;
  /** Bumped whenever the pending connection attempt is abandoned, so a late token or socket is dropped. */
  #epoch = 0;
  #lastCloseExpired = false;
  /** Shared mode (notifypush-shared.js); null while solo. @type {SharedTabs | null} */
  #shared = null;
  /** The user whose group this tab joined, when its token said so (not `shared.userId`); every token is held to it. */
  #tokenUser = /** @type {string | null} */ (null);

  /**
   * @param {NotifyPushClientOptions} [options] `url`, `getToken`, `since`, `backoff`, `heartbeatGraceMs`,
   *   `connectTimeoutMs`, `shared`, `transport`, `sseUrl`, `WebSocket`, `EventSource`, `fetch`, `locks`,
   *   `BroadcastChannel`, `connectivity`: see notifypush.d.ts and README.md.
   */
  constructor(options = {}) {
    const group = typeof options.shared === 'object' ? options.shared : {}; // `shared: true` names nothing
    const shared = options.shared ? { name: group.name ?? 'notifypush', userId: group.userId ?? null } : null;
    this.#options = {
      url: options.url ?? '/ws',
      getToken: options.getToken ?? null,
      heartbeatGraceMs: options.heartbeatGraceMs ?? 10000,
      connectTimeoutMs: options.connectTimeoutMs ?? 20000,
      backoff: options.backoff,
      WebSocket: options.WebSocket ?? globalThis.WebSocket,
      transport: options.transport ?? 'auto',
      sseUrl: options.sseUrl ?? null,
      EventSource: options.EventSource ?? globalThis.EventSource ?? null,
      fetch: options.fetch ?? (typeof globalThis.fetch === 'function' ? globalThis.fetch.bind(globalThis) : null),
      shared,
      locks: options.locks ?? globalThis.navigator?.locks ?? null,
      BroadcastChannel: options.BroadcastChannel ?? globalThis.BroadcastChannel ?? null,
      connectivity:
        options.connectivity !== undefined
          ? options.connectivity
          : typeof globalThis.addEventListener === 'function' ? globalThis : null,
      accepts: (token) => this.#accepts(token),
    };
    const { transport, WebSocket, EventSource, fetch } = this.#options;
    if (!['auto', 'websocket', 'sse'].includes(transport)) {
      throw new TypeError("NotifyPushClient: options.transport must be 'auto', 'websocket' or 'sse'.");
    }
    const canStream = typeof EventSource === 'function' && typeof fetch === 'function';
    if (transport === 'sse' ? !canStream : typeof WebSocket !== 'function' && !(transport === 'auto' && canStream)) {
      throw new TypeError('NotifyPushClient: no WebSocket (or, for the event stream, EventSource and fetch) implementation; pass options.WebSocket.');
    }
    // 'auto' without any WebSocket at all (an old embedded browser, a page that removed it): the event stream from the start.
    if (transport === 'auto' && typeof WebSocket !== 'function') this.#options.transport = 'sse';
    socketUrl(this.#options.url); // throws now, not on every retry, when the URL cannot be resolved
    this.#queue = new HandlerQueue(options.since ?? null, {
      deliver: (notification) => this.#events.emitInTurn('notification', notification),
      synced: (event) => this.#events.emit('synced', event),
      acknowledge: (position) => this.#acknowledge(position),
    });
    this.#backoff = new Backoff(this.#options.backoff);
    this.#connector = new Connector(this.#options, (error) => this.#events.error(error), (now, previous) => this.#events.emit('transport', { transport: now, previous }));
    this.#connectivity = new ConnectivityWatcher(this.#options.connectivity, {
      // A follower's socket is its leader's; a stopped client has none.
      concerned: () => this.role !== 'follower' && this.#state !== 'stopped',
      offline: () => this.#onOffline(),
      online: () => this.#onOnline(),
    });
  }

  /** @returns {ClientState} */
  get state() {
    return this.#state;
  }

  /** Highest seq whose handlers completed: the resume point (`options.since` until then; else null). */
  get position() {
    return this.#queue.resume.position;
  }

  /** @returns {ClientRole} */
  get role() {
    return this.#shared?.role ?? 'solo';
  }

  /**
   * The transport this tab's connections use: 'websocket', or 'sse' once 'auto' fell back to the event stream (or
   * when configured). A follower in shared mode reads its leader's in the `connected` event.
   * @returns {Transport}
   */
  get transport() {
    return this.#connector.transport;
  }

  /**
   * Adds an event handler. `notification` handlers may return a promise: the next notification waits for it.
   * @template {keyof NotifyPushEventMap} K
   * @param {K} event
   * @param {(detail: NotifyPushEventMap<TPayload>[K]) => unknown} handler
   * @returns {() => void} removes the handler.
   */
  on(event, handler) {
    return this.#events.on(event, handler);
  }

  /**
   * Removes a handler added with `on`.
   * @template {keyof NotifyPushEventMap} K
   * @param {K} event
   * @param {(detail: NotifyPushEventMap<TPayload>[K]) => unknown} handler
   */
  off(event, handler) {
    this.#events.off(event, handler);
  }

  /** Connects (or, in shared mode, joins the browser's shared connection). Again after `stop()`: resumes. */
  start() {
    if (this.#state !== 'idle' && this.#state !== 'stopped') return;
    this.#lastCloseExpired = false;
    this.#backoff.reset();
    this.#connector.reset(); // a new start tries the WebSocket again
    this.#queue.restart(); // stop() dropped what was queued
    this.#connectivity.watch();
    const { shared, locks, BroadcastChannel } = this.#options;
    if (shared && locks && BroadcastChannel) this.#join();
    else this.#connect('connect');
  }

  /** Closes the socket with 1000 and stops reconnecting; state 'stopped'. In shared mode another tab takes over. */
  stop() {
    if (this.#state === 'idle' || this.#state === 'stopped') return;
    this.#halt(CloseCodes.Normal, 'stopped by the application', false);
  }

  /**
   * Shared mode: joins the group of this tab's user, never another's. The user is `shared.userId`, or the `sub` of
   * the token fetched here. Nobody known: solo. (Should this tab lead, its socket fetches a token of its own: one
   * fetched now could be stale by the time the lock comes.)
   */
  async #join() {
    const epoch = ++this.#epoch;
    const { shared, locks, BroadcastChannel, backoff, getToken } = this.#options;
    if (!shared || !locks || !BroadcastChannel) return;
    let user = shared.userId;
    if (user === null && getToken) {
      this.#setState('connecting');
      let token;
      try {
        token = await getToken({ reason: 'connect' });
      } catch (error) {
        if (epoch !== this.#epoch) return;
        this.#events.error(error);
        this.#setState('reconnecting');
        this.#timer = setTimeout(() => this.#join(), this.#backoff.next());
        return;
      }
      if (epoch !== this.#epoch) return;
      user = tokenUser(token);
      this.#tokenUser = user;
    }
    if (user === null) {
      this.#connect('connect'); // solo: sharing with tabs of an unknown user could hand them this user's stream
      return;
    }
    this.#shared = new SharedTabs(groupName(shared.name, user), this.#sharedHost(), { locks, BroadcastChannel, backoff });
    this.#shared.join();
  }

  /**
   * Whether a token may be used: in a group keyed by its token's user, only another token of that user. Another
   * user's makes this tab leave the group and stop with 1008, as the server closes a socket whose in-band `auth`
   * names another user: the application starts a client for the new user.
   * @param {string | null} token
   */
  #accepts(token) {
    const user = this.#tokenUser;
    if (user === null || tokenUser(token) === user) return true;
    // Later, not inside the caller's connect or catch-up, which then ends quietly.
    queueMicrotask(() => {
      if (this.#tokenUser === user) this.#halt(CloseCodes.PolicyViolation, "the token provider hands out another user's token", false);
    });
    return false;
  }

  // ---- one connection ----------------------------------------------------------------------------------

  /** @param {TokenRequest['reason']} reason */
  async #connect(reason) {
    const epoch = ++this.#epoch;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#connectivity.offline) return; // 'online' connects
    this.#setState('connecting');
    const opened = await this.#connector.open(reason, this.#queue.resume, () => epoch === this.#epoch);
    if (opened === null) return; // stopped, offline or superseded while the token was fetched
    if ('failed' in opened) {
      this.#retry(CloseCodes.Abnormal, opened.failed);
      return;
    }
    /** @type {ClientConnection} */
    const conn = Object.assign(opened, { acks: new AckWindow(), welcome: null, pinged: false, synced: false });
    this.#conn = conn;
    conn.listen({
      onFrame: (data) => this.#onFrame(conn, data),
      onClose: (code, reason) => this.#onClose(conn, code, reason),
      onSilent: (reason) => this.#abandon(conn, reason),
    });
  }

  /**
   * @param {ClientConnection} conn
   * @param {unknown} data
   */
  #onFrame(conn, data) {
    if (conn !== this.#conn) return;
    const frame = conn.read(data);
    switch (frame?.type) {
      case 'welcome':
        conn.welcome = { userId: frame.userId, connectionId: frame.connectionId, heartbeatSeconds: frame.heartbeatSeconds, transport: conn.transport };
        this.#setState('syncing');
        this.#announce('connected', conn.welcome);
        break;
      case 'notification':
        conn.acks.received(frame.seq);
        this.#enqueue(notificationItem(frame, !conn.synced));
        break;
      case 'synced':
        conn.synced = true;
        conn.acks.received(frame.seq);
        this.#setState('live');
        this.#enqueue(syncedItem(frame, conn.since));
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
        conn.send({ type: 'pong' });
        break;
      case 'token-expiring':
        this.#refreshToken(conn);
        break;
      default:
        break; // a newer server may send frames this client does not know
    }
  }

  /** @param {ClientConnection} conn */
  async #refreshToken(conn) {
    // Without a token provider the cookie authenticates: the server closes with 4001 at expiry and the
    // reconnect carries the renewed cookie.
    if (!this.#options.getToken) return;
    try {
      const token = await this.#options.getToken({ reason: 'refresh' });
      if (token && conn === this.#conn && this.#accepts(token)) conn.send({ type: 'auth', token });
    } catch (error) {
      // The server closes with 4001 when the old token expires; that path gets a new token.
      this.#events.error(error);
    }
  }

  /**
   * @param {ClientConnection} conn
   * @param {number} code
   * @param {string} reason
   */
  #onClose(conn, code, reason) {
    if (conn !== this.#conn) return;
    this.#drop(conn);
    this.#connector.ended(conn, conn.welcome !== null);
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

  /**
   * Gives up on a socket that went silent, without waiting for a close event that may never come.
   * @param {ClientConnection} conn
   * @param {string} reason
   */
  #abandon(conn, reason) {
    if (conn !== this.#conn) return;
    this.#drop(conn);
    this.#connector.ended(conn, conn.welcome !== null);
    conn.close();
    this.#retry(CloseCodes.Abnormal, reason);
  }

  /**
   * Reports the disconnect and connects again after `delayMs` (null: when the browser is back online).
   * @param {number} code
   * @param {string} reason
   * @param {TokenRequest['reason']} [tokenReason]
   * @param {number | null} [delayMs]
   */
  #retry(code, reason, tokenReason = 'connect', delayMs = this.#backoff.next()) {
    if (this.#connectivity.offline) delayMs = null;
    this.#announce('disconnected', { code, reason, willReconnect: true, delayMs });
    this.#setState('reconnecting');
    if (delayMs !== null) this.#timer = setTimeout(() => this.#connect(tokenReason), delayMs);
  }

  /** @param {ClientConnection} conn */
  #drop(conn) {
    conn.detach();
    if (this.#conn === conn) this.#conn = null;
  }

  /**
   * Ends this client's part: no socket, no timers, no queue.
   * @param {number} code
   * @param {string} reason
   * @param {boolean} fromServer a terminal close code (it stops the other tabs too).
   */
  #halt(code, reason, fromServer) {
    this.#epoch++;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const conn = this.#conn;
    if (conn) {
      this.#drop(conn);
      conn.close();
    }
    this.#queue.clear();
    this.#connectivity.unwatch();
    this.#leave(fromServer ? { code, reason } : null);
    this.#setState('stopped');
    this.#events.emit('stopped', { code, reason });
  }

  // ---- handlers and acknowledgements (notifypush-queue.js) ----------------------------------------------

  /** Queues a frame's item for this tab's handlers and, when it leads, every follower's. @param {QueueItem} item */
  #enqueue(item) {
    this.#shared?.relayItem(item);
    this.#queue.push(item);
  }

  /** The handlers completed up to `position`: acknowledged on the socket, as far as it has shown. @param {number | null} position */
  #acknowledge(position) {
    const conn = this.#conn;
    if (!conn) return;
    const seq = conn.acks.next(position);
    if (seq !== null) conn.send({ type: 'ack', seq });
  }

  // ---- events (notifypush-events.js) ----------------------------------------------------------------------

  /** @param {ClientState} state */
  #setState(state) {
    const previous = this.#state;
    if (state === previous) return;
    this.#state = state;
    this.#shared?.relayState(state);
    this.#events.emit('state', { state, previous });
  }

  /**
   * Emits here and, from a leader, in every follower tab.
   * @template {keyof NotifyPushEventMap} K
   * @param {K} name
   * @param {NotifyPushEventMap<TPayload>[K]} detail
   */
  #announce(name, detail) {
    this.#shared?.relayEvent(name, detail);
    this.#events.emit(name, detail);
  }

  // ---- connectivity (notifypush-connectivity.js) -----------------------------------------------------------

  /** Offline (and not a follower): the socket and any pending attempt are dropped; `online` connects. */
  #onOffline() {
    this.#epoch++;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const conn = this.#conn;
    if (conn) {
      this.#drop(conn);
      conn.close();
    }
    // The socket is as good as dead; waiting for its close could take minutes. 'online' reconnects.
    if (this.#state !== 'reconnecting') this.#retry(CloseCodes.Abnormal, 'the browser went offline', 'connect', null);
  }

  /** Back online: a client waiting to reconnect does so now, with the backoff started over. */
  #onOnline() {
    if (this.#state === 'reconnecting' && this.role !== 'follower') {
      this.#backoff.reset();
      // Offline before it knew its group (shared mode, still picking it): pick it now, do not go solo.
      if (this.#options.shared && this.#options.locks && this.#options.BroadcastChannel && !this.#shared) this.#join();
      else this.#connect('connect');
    }
  }

  // ---- shared mode: one socket per browser (notifypush-shared.js) ---------------------------------------

  /**
   * What shared mode may do with this client (notifypush-shared.js says what each part is for).
   * @returns {SharedHost}
   */
  #sharedHost() {
    return {
      queue: this.#queue,
      events: this.#events,
      connector: this.#connector,
      show: (state) => this.#setState(state),
      stream: () => {
        // Where the relayed stream is: the highest seq this socket has shown; null when it has shown nothing yet.
        const conn = this.#conn;
        const seq = conn && (conn.synced || conn.acks.limit > 0) ? conn.acks.limit : null;
        return { state: this.#state, seq, welcome: conn?.welcome ?? null };
      },
      lead: () => this.#connect('connect'),
      stop: (code, reason, fromServer) => this.#halt(code, reason, fromServer),
      checkToken: () => this.#checkToken(),
    };
  }

  /**
   * Leaves shared mode.
   * @param {{code: number, reason: string} | null} terminal a close that stops every tab (e.g. 4003 signed out).
   */
  #leave(terminal) {
    const shared = this.#shared;
    if (!shared) return;
    this.#shared = null;
    this.#tokenUser = null;
    shared.leave(terminal); // last, as it emits the role 'solo': a `role` handler already sees a solo client
  }

  /** A follower: fetches its token and leaves the group if it is another user's now. */
  async #checkToken() {
    const { getToken } = this.#options;
    if (this.#tokenUser === null || !getToken) return;
    try {
      this.#accepts((await getToken({ reason: 'connect' })) ?? null);
    } catch (error) {
      this.#events.error(error); // the next socket this tab opens fetches (and checks) again
    }
  }
}
