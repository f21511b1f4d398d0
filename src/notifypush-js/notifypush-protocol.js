// notifypush-protocol.js: the rules of docs/protocol.md that the client is built from, without any I/O: close
// codes and what each one means, backoff, the resume point, acknowledgements, the socket URL. notifypush.js exports
// them (declared in notifypush.d.ts, which the JSDoc below holds them to); the client's other modules import them
// from here.

/** @import * as Declared from './notifypush.js' */
/** @import { BackoffOptions, Notification as PushNotification } from './notifypush.js' */

/**
 * Close codes of the NotifyPush socket (docs/protocol.md, "Close codes"), named as the .NET client's
 * NotifyPushCloseCodes names them.
 * @satisfies {typeof Declared.CloseCodes}
 */
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
 * What the client does after the socket closed with `code`: 'stop': terminal; 'reauth': get a new token and
 * reconnect; 'reconnect': back off, then resume with `since`.
 * @type {typeof Declared.closeAction}
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
 * Full-jitter exponential backoff: a random delay in [0, min(maxMs, firstMs * 2^attempt)), in whole milliseconds.
 * Spreading every retry over the whole window keeps thousands of clients of a restarted replica from
 * reconnecting in step.
 * @param attempt 0 for the first retry.
 * @param [options] defaults 5000 and 60000.
 * @param [random] a number in [0, 1).
 * @type {typeof Declared.backoffDelay}
 */
export function backoffDelay(attempt, { firstMs = 5000, maxMs = 60000 } = {}, random = Math.random) {
  // 2 ** attempt grows to Infinity after ~1000 attempts; min() keeps the window at the cap.
  return Math.floor(random() * Math.min(maxMs, firstMs * 2 ** attempt));
}

/**
 * The retry counter of one client: `next()` gives the delay of the next retry, `reset()` starts over.
 * @implements {Declared.Backoff}
 */
export class Backoff {
  #options;
  #random;
  #attempt = 0;

  /**
   * @param {BackoffOptions} [options]
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
 * @implements {Declared.ResumePoint}
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
 * @implements {Declared.AckWindow}
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
 * @param url ws(s):// URL, or an http(s) URL or path (resolved against `base`).
 * @param [query] the token and the resume point.
 * @param [base] defaults to the page's location.
 * @type {typeof Declared.socketUrl}
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

/**
 * An entry of the client's queue: a notification for the handlers, or the `synced` of a socket, which moves the
 * position once the notifications before it are handled.
 * @typedef {{kind: 'notification', notification: PushNotification}
 *   | {kind: 'synced', seq: number, recovered: boolean, since: number | null}} QueueItem
 */

/**
 * The queue item of a `notification` frame.
 * @param {{seq: number, id: string, event: string, payload: unknown, createdAt: string}} frame
 * @param {boolean} replayed
 * @returns {QueueItem}
 */
export function notificationItem({ seq, id, event, payload, createdAt }, replayed) {
  return { kind: 'notification', notification: { seq, id, event, payload, createdAt, replayed } };
}

/**
 * The queue item of a `synced` frame on a socket opened with `since`.
 * @param {{seq: number, recovered?: boolean}} frame
 * @param {number | null} since
 * @returns {QueueItem}
 */
export function syncedItem(frame, since) {
  return { kind: 'synced', seq: frame.seq, recovered: frame.recovered !== false, since };
}
