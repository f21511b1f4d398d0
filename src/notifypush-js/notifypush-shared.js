// notifypush-shared.js: shared mode, one socket per browser and user (README.md, "Shared mode").
//
// A group is one user's: its channel and lock names carry the user (groupName), taken from `shared.userId` or the
// token's `sub` (tokenUser), so tabs signed in as different users never relay or acknowledge each other's streams.
//
// The tab holding the Web Lock leads: it owns the socket and posts every queued item, state change and event on a
// BroadcastChannel. Followers run the same queue, dedupe and handlers on what it posts, each with its own
// position. When the leader's tab closes the browser releases the lock and the next tab in line leads, resuming
// with since = its own position: what it has not handled is replayed, and every tab drops what it already has.
//
// The channel carries the stream from the moment a tab joined. A follower that has less (it joined with an older
// position, or a relayed seq skips past what it has) catches up on a socket of its own: since = the last seq it
// has, read until `synced`, then closed with 1000. Relayed items wait meanwhile and then go through the same
// check, so its handlers still see every seq once and in order. That socket never acknowledges: the leader does,
// for the user.
//
// Between the client and shared mode, both ways:
// - The client hands SharedTabs a SharedHost: its handler queue (what the tab has, and where relayed and caught-up
//   items go), its events (the leader's, emitted here too), its connector (a follower's catch-up socket), and five
//   calls: show a state, say where the leader's stream is, lead (open the socket), stop, check the token.
// - SharedTabs owns the tab's role ('follower', 'leader'; 'solo' once left) and emits its `role` events. The client
//   calls join and leave, and while it leads relays its items, state changes and events (relayItem, relayState,
//   relayEvent); nothing else. Its connection, timers and state stay its own.

import { Backoff, closeAction, CloseCodes, notificationItem, syncedItem } from './notifypush-protocol.js';

/** @import { BackoffOptions, BroadcastChannelConstructorLike, LockManagerLike } from './notifypush.js' */
/** @import { ClientRole, ClientState, ConnectedEvent, NotifyPushEventMap } from './notifypush.js' */
/** @import { Emitter } from './notifypush-events.js' */
/** @import { QueueItem } from './notifypush-protocol.js' */
/** @import { HandlerQueue } from './notifypush-queue.js' */
/** @import { Connection, Connector } from './notifypush-socket.js' */

/**
 * What shared mode needs of its client.
 * @typedef {object} SharedHost
 * @property {Pick<HandlerQueue, 'received' | 'push'>} queue the tab's handler queue: `received` is what the tab has,
 *   queued or handled; `push` queues a relayed or caught-up item for its handlers.
 * @property {Pick<Emitter, 'emit' | 'error'>} events the tab's events.
 * @property {Connector} connector opens a follower's catch-up socket.
 * @property {(state: ClientState) => void} show sets the state this tab shows (a follower's: its leader's, or
 *   'syncing' while it catches up).
 * @property {() => {state: ClientState, seq: number | null, welcome: ConnectedEvent | null}} stream the leader's
 *   state, where its relayed stream is (the highest seq its socket has shown; null before it has shown any), and
 *   its socket's `connected` event.
 * @property {() => void} lead this tab got the lock: connect.
 * @property {(code: number, reason: string, fromServer: boolean) => void} stop stops the client (`fromServer`: a
 *   terminal close, told to the other tabs too).
 * @property {() => void} checkToken fetches this tab's token and leaves the group if it is another user's.
 */

/**
 * What one tab posts on the channel.
 * @typedef {{t: 'hello', id: string}
 *   | {t: 'item', item: QueueItem}
 *   | {t: 'state', state: ClientState, seq?: number | null, to?: string}
 *   | {t: 'event', name: keyof NotifyPushEventMap, detail: unknown, to?: string}
 *   | {t: 'stopped', code: number, reason: string}} SharedMessage
 */

/**
 * The user a token is for, to key the shared group by: its `sub` claim, read without verifying the signature (the
 * server verifies it; here it only keeps tabs of different users apart). Null for anything that is not a JWT with a
 * string `sub`.
 * @param {string | null | undefined} token
 * @returns {string | null}
 */
export function tokenUser(token) {
  const part = typeof token === 'string' ? token.split('.')[1] : undefined;
  if (!part) return null;
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
    return typeof claims?.sub === 'string' && claims.sub !== '' ? claims.sub : null;
  } catch {
    return null; // not a JWT: nothing says whose it is
  }
}

/**
 * The BroadcastChannel name of a user's group (the lock is `<name>:leader`): tabs of different users never share one.
 * @param {string} name the application's (`shared.name`, default 'notifypush').
 * @param {string} user
 */
export function groupName(name, user) {
  return `${name}:user:${encodeURIComponent(user)}`;
}

/** One tab's part in shared mode: the channel, the lock and, in a follower, the catch-up. */
export class SharedTabs {
  #name;
  #locks;
  #host;
  #backoffOptions;
  #channel;
  /** @type {ClientRole} */
  #role = 'solo';
  #abort = new AbortController();
  /** @type {((value?: unknown) => void) | null} */
  #release = null;
  /** Answers to this tab's hello carry its id, so the other followers do not take them for news. */
  #id = Math.random().toString(36).slice(2);
  #left = false;
  /** The leader's state, shown by a follower except while it catches up. @type {ClientState} */
  #leaderState = 'connecting';
  /** A follower's own short-lived socket fetching what it missed; null when not catching up. @type {CatchUp | null} */
  #catchUp = null;

  /**
   * @param {string} name the BroadcastChannel's; the lock is `<name>:leader`.
   * @param {SharedHost} host
   * @param {{
   *   locks: LockManagerLike,
   *   BroadcastChannel: BroadcastChannelConstructorLike,
   *   backoff: BackoffOptions | undefined,
   * }} options the client's; `backoff` paces the catch-up's retries.
   */
  constructor(name, host, { locks, BroadcastChannel, backoff }) {
    this.#host = host;
    this.#backoffOptions = backoff;
    this.#name = name;
    this.#locks = locks;
    this.#channel = new BroadcastChannel(name);
  }

  /** 'follower' from `join` until this tab gets the lock, then 'leader'; 'solo' once it left. */
  get role() {
    return this.#role;
  }

  /** Joins as a follower and queues for the lock. */
  join() {
    const host = this.#host;
    this.#channel.onmessage = (event) => this.#onMessage(event.data);
    this.#setRole('follower');
    this.#leaderState = 'connecting';
    host.show('connecting');
    this.#post({ t: 'hello', id: this.#id }); // a leader answers with its state and where it is
    this.#locks
      .request(`${this.#name}:leader`, { signal: this.#abort.signal }, () => {
        if (this.#left) return undefined; // stopped while the grant was on its way
        // The leader's socket resumes from this tab's position: a catch-up has nothing left to add.
        this.#endCatchUp();
        this.#setRole('leader');
        host.lead();
        // The lock is held until this promise settles: on stop() or when the tab goes away.
        return new Promise((release) => {
          this.#release = release;
        });
      })
      .catch((error) => {
        if (error?.name !== 'AbortError') host.events.error(error);
      });
  }

  /** Leader: a queued item, to every follower. @param {QueueItem} item */
  relayItem(item) {
    if (this.#role === 'leader') this.#post({ t: 'item', item });
  }

  /** Leader: a state change, to every follower ('stopped' is told by `leave`). @param {ClientState} state */
  relayState(state) {
    if (this.#role === 'leader' && state !== 'stopped') this.#post({ t: 'state', state });
  }

  /**
   * Leader: an event, emitted in every follower too.
   * @template {keyof NotifyPushEventMap} K
   * @param {K} name
   * @param {NotifyPushEventMap[K]} detail
   */
  relayEvent(name, detail) {
    if (this.#role === 'leader') this.#post({ t: 'event', name, detail });
  }

  /**
   * Leaves shared mode.
   * @param {{code: number, reason: string} | null} terminal a close that stops every tab (e.g. 4003 signed out).
   */
  leave(terminal) {
    this.#endCatchUp();
    if (this.#role === 'leader') {
      // Followers stop with us on a terminal code; otherwise they wait for the next leader.
      this.#post(terminal ? { t: 'stopped', ...terminal } : { t: 'state', state: 'reconnecting' });
    }
    this.#left = true;
    this.#abort.abort();
    this.#release?.();
    this.#channel.close();
    this.#setRole('solo');
  }

  /** @param {ClientRole} role */
  #setRole(role) {
    const previous = this.#role;
    if (role === previous) return;
    this.#role = role;
    this.#host.events.emit('role', { role, previous });
  }

  /** @param {SharedMessage} message */
  #post(message) {
    this.#channel.postMessage(message);
  }

  /** @param {any} message what another tab posted (a SharedMessage). */
  #onMessage(message) {
    const host = this.#host;
    if (this.#role === 'leader') {
      if (message?.t === 'hello') {
        // Every seq after `seq` reaches the channel from now on (this socket's, or the next one's replay from our
        // position, which is not higher). Null: this socket has shown nothing yet.
        const { state, seq, welcome } = host.stream();
        this.#post({ t: 'state', state, seq, to: message.id });
        if (welcome) this.#post({ t: 'event', name: 'connected', detail: welcome, to: message.id });
      } else if (message?.t === 'stopped') {
        // The previous leader stopped for every tab (signed out), but the lock reached us before its message.
        host.stop(message.code, message.reason, true);
      }
      return; // items from an earlier leader are replayed to us by the server anyway
    }
    if (this.#role !== 'follower' || (message?.to !== undefined && message.to !== this.#id)) return;
    switch (message?.t) {
      case 'item':
        this.#onRelayed(message.item);
        break;
      case 'state': {
        // The answer to our hello says where the leader's stream is. Null on either side: the stream starts where
        // this tab joined, or the leader's first frames will tell.
        const have = host.queue.received.position;
        const seq = message.to === undefined ? null : message.seq ?? null;
        if (!this.#catchUp && have !== null && seq !== null && seq !== have) this.#startCatchUp([]);
        this.#leaderState = message.state;
        if (!this.#catchUp) host.show(message.state);
        break;
      }
      case 'event':
        host.events.emit(message.name, message.detail);
        // A follower fetches no token while it follows: each new leader socket is when it checks that its own
        // token is still the group's user's (the answer to its hello is not news; it checked that on joining).
        if (message.name === 'connected' && message.to === undefined) host.checkToken();
        break;
      case 'stopped':
        host.stop(message.code, message.reason, false);
        break;
      default:
        break;
    }
  }

  /**
   * A follower queues a relayed item when it continues what the tab has; otherwise it catches up first.
   * @param {QueueItem} item
   */
  #onRelayed(item) {
    const have = this.#host.queue.received.position;
    if (this.#catchUp) {
      this.#catchUp.pending.push(item);
    } else if (have !== null && (item.kind === 'notification'
      ? item.notification.seq > have + 1
      // A synced may pass seqs the store no longer holds, but only a replay that began where this tab is says so.
      : item.seq > have && item.since !== have)) {
      this.#startCatchUp([item]);
    } else {
      this.#host.queue.push(item);
    }
  }

  /** @param {QueueItem[]} pending relayed items that wait for the catch-up. */
  #startCatchUp(pending) {
    const backoff = new Backoff(this.#backoffOptions);
    const catchUp = new CatchUp(pending, this.#host, backoff, () => this.#caughtUp(catchUp));
    this.#catchUp = catchUp;
    this.#host.show('syncing');
    catchUp.open('connect');
  }

  /** The catch-up's `synced` is queued: what was relayed meanwhile follows it. @param {CatchUp} catchUp */
  #caughtUp(catchUp) {
    const { pending } = catchUp;
    this.#endCatchUp();
    for (const item of pending) this.#onRelayed(item); // may start the next catch-up, which takes the rest
    if (!this.#catchUp) this.#host.show(this.#leaderState);
  }

  #endCatchUp() {
    const catchUp = this.#catchUp;
    if (!catchUp) return;
    this.#catchUp = null;
    catchUp.end();
  }
}

/**
 * A follower's short-lived socket: since = the last seq the tab has, replay until `synced`, then closed. Never
 * acknowledges. Counts towards the user's socket limit, so a refused or failed attempt is retried with backoff.
 */
class CatchUp {
  /** Relayed items that arrived meanwhile, in order. */
  pending;
  #host;
  #backoff;
  #onSynced;
  /** @type {Connection | null} */
  #conn = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer = undefined;
  #ended = false;

  /**
   * @param {QueueItem[]} pending
   * @param {SharedHost} host
   * @param {Backoff} backoff
   * @param {() => void} onSynced its `synced` is queued: the catch-up is done.
   */
  constructor(pending, host, backoff, onSynced) {
    this.pending = pending;
    this.#host = host;
    this.#backoff = backoff;
    this.#onSynced = onSynced;
  }

  /** @param {'connect' | 'expired'} reason for the token provider. */
  async open(reason) {
    const conn = await this.#host.connector.open(reason, this.#host.queue.received, () => !this.#ended);
    if (conn === null) return;
    if ('failed' in conn) {
      this.#retry('connect');
      return;
    }
    this.#conn = conn;
    conn.listen({
      onFrame: (data) => this.#onFrame(conn, data),
      onClose: (code, reason) => this.#onClose(conn, code, reason),
      onSilent: (why) => this.#onClose(conn, CloseCodes.Abnormal, why),
    });
  }

  /** Stops for good: no retry, and the socket (if any) is closed. */
  end() {
    this.#ended = true;
    clearTimeout(this.#timer);
    if (this.#conn) {
      this.#conn.detach();
      this.#conn.close();
    }
  }

  /**
   * @param {Connection} conn
   * @param {unknown} data
   */
  #onFrame(conn, data) {
    if (this.#ended) return;
    const frame = conn.read(data);
    switch (frame?.type) {
      case 'notification':
        this.#host.queue.push(notificationItem(frame, true));
        break;
      case 'synced':
        // Its `synced` is this tab's: recovered:false tells the application what it missed is gone.
        this.#host.queue.push(syncedItem(frame, conn.since));
        this.#onSynced();
        break;
      case 'ping':
        conn.send({ type: 'pong' });
        break;
      default:
        break; // welcome, token-expiring: the socket is gone before either matters
    }
  }

  /**
   * @param {Connection} conn
   * @param {number} code
   * @param {string} reason
   */
  #onClose(conn, code, reason) {
    if (this.#ended) return;
    conn.detach();
    conn.close();
    this.#conn = null;
    const action = closeAction(code);
    // A sign-out (4003) reaches the leader's socket too; this tab need not wait for its message.
    if (action === 'stop') this.#host.stop(code, reason, true);
    else this.#retry(action === 'reauth' ? 'expired' : 'connect');
  }

  /**
   * Tries again after a backoff: a refused handshake (429: the user's sockets are at the limit) or a failure.
   * @param {'connect' | 'expired'} tokenReason
   */
  #retry(tokenReason) {
    this.#timer = setTimeout(() => this.open(tokenReason), this.#backoff.next());
  }
}
