// notifypush-socket.js: one WebSocket to the server, as the client (notifypush.js) and a shared-mode follower's
// catch-up (notifypush-shared.js) open it: the token, the URL, a watchdog for half-open sockets, reading frames.

import { CloseCodes, socketUrl } from './notifypush-protocol.js';

/** @import { NotifyPushClientOptions, TokenRequest, WebSocketConstructorLike, WebSocketLike } from './notifypush.js' */

/**
 * What opening a socket needs of the client's options, defaults applied.
 * @typedef {object} SocketOptions
 * @property {string} url
 * @property {NonNullable<NotifyPushClientOptions['getToken']> | null} getToken
 * @property {WebSocketConstructorLike} WebSocket
 * @property {number} heartbeatGraceMs
 * @property {number} connectTimeoutMs
 * @property {(token: string | null) => boolean} accepts whether a fetched token may open a socket for this client
 *   (shared mode: it must be the group's user's).
 */

/**
 * A frame the server sends (docs/protocol.md, "Server frames"). `read` checks only that a frame is a JSON object:
 * the fields are the server's promise. A newer server's other types fall to each reader's `default`.
 * @typedef {{type: 'welcome', userId: string, connectionId: string, heartbeatSeconds: number, protocol?: number}
 *   | {type: 'notification', seq: number, id: string, event: string, payload: unknown, createdAt: string}
 *   | {type: 'synced', seq: number, recovered: boolean}
 *   | {type: 'ping'}
 *   | {type: 'token-expiring', inSeconds: number}} ServerFrame
 */

const OPEN = 1;

/** Opens the sockets of one client with its options; reports what fails to the client's error event. */
export class Connector {
  #options;
  #report;

  /**
   * @param {SocketOptions} options
   * @param {(error: unknown) => void} report
   */
  constructor(options, report) {
    this.#options = options;
    this.#report = report;
  }

  /**
   * Gets a token, then opens a socket resuming after `resume.position` as it is then. Resolves with the
   * connection, with `{failed: reason}` (reported as an error), or with null when `current()` turned false
   * while the token was fetched or `options.accepts` refused the token (the client then stops).
   * @param {TokenRequest['reason']} reason
   * @param {{readonly position: number | null}} resume
   * @param {() => boolean} current
   * @returns {Promise<Connection | {failed: string} | null>}
   */
  async open(reason, resume, current) {
    let token = null;
    try {
      token = this.#options.getToken ? await this.#options.getToken({ reason }) : null;
    } catch (error) {
      if (!current()) return null;
      this.#report(error);
      return { failed: 'token provider failed' };
    }
    if (!current() || !this.#options.accepts(token ?? null)) return null;
    const since = resume.position;
    try {
      const ws = new this.#options.WebSocket(socketUrl(this.#options.url, { token, since }));
      return new Connection(ws, since, this.#options, this.#report);
    } catch (error) {
      this.#report(error);
      return { failed: 'the WebSocket could not be created' };
    }
  }
}

/** One socket to the server and its watchdog. */
export class Connection {
  /** The `since` it was opened with. */
  since;
  /** Heartbeat interval from `welcome`, ms; 0 until then, when the connect timeout applies. */
  heartbeatMs = 0;
  #options;
  #report;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #watchdog = undefined;
  /** @type {(reason: string) => void} */
  #onSilent = () => {};

  /**
   * @param {WebSocketLike} ws
   * @param {number | null} since
   * @param {SocketOptions} options
   * @param {(error: unknown) => void} report
   */
  constructor(ws, since, options, report) {
    this.ws = ws;
    this.since = since;
    this.#options = options;
    this.#report = report;
  }

  /**
   * Hands the socket's frames (`onFrame(data)`) and its end (`onClose(code, reason)`) to the caller, and arms the
   * watchdog: `onSilent(reason)` when no frame comes within the connect timeout or heartbeat.
   * @param {{
   *   onFrame: (data: unknown) => void,
   *   onClose: (code: number, reason: string) => void,
   *   onSilent: (reason: string) => void,
   * }} handlers
   */
  listen({ onFrame, onClose, onSilent }) {
    this.#onSilent = onSilent;
    this.#watch();
    this.ws.onmessage = (event) => onFrame(event.data);
    this.ws.onclose = (event) => onClose(event.code, event.reason);
    // An error is a failed connection: in browsers a close with 1006 follows it, but some implementations
    // (Node 20's) never send that close after a failed handshake. Acting on the error is the same decision.
    this.ws.onerror = () => onClose(CloseCodes.Abnormal, 'connection failed');
  }

  /**
   * Reads a frame and re-arms the watchdog; null (reported) when it is not a JSON object.
   * @param {unknown} data
   * @returns {ServerFrame | null}
   */
  read(data) {
    let frame = null;
    try {
      frame = JSON.parse(String(data)); // what JSON.parse does with a non-string anyway
    } catch {
      // Reported below.
    }
    if (frame === null || typeof frame !== 'object') {
      this.#report(new Error('NotifyPush: the server sent a frame that is not a JSON object.'));
      return null;
    }
    // Any frame proves the server is alive. Pings come every heartbeatSeconds, so a longer silence means a
    // half-open connection (a sleeping laptop, a NAT that forgot us) that may never report a close.
    if (frame.type === 'welcome') this.heartbeatMs = (Number(frame.heartbeatSeconds) || 25) * 1000;
    this.#watch();
    return frame;
  }

  /** @param {object} frame sent as JSON text while the socket is open; dropped otherwise. */
  send(frame) {
    if (this.ws.readyState === OPEN) this.ws.send(JSON.stringify(frame));
  }

  /** Lets go of the socket: no watchdog, and none of its events reaches the caller any more. */
  detach() {
    clearTimeout(this.#watchdog);
    this.ws.onmessage = this.ws.onclose = null;
    // Not null: a socket let go of while it connects still fails, and `ws` (Node 18's usual WebSocket) throws that
    // error out of the process when nothing listens for it. A browser's would only drop it.
    this.ws.onerror = () => {};
  }

  /** Closes with 1000. */
  close() {
    try {
      this.ws.close(CloseCodes.Normal);
    } catch {
      // Already closing; nothing more to do.
    }
  }

  #watch() {
    const { heartbeatGraceMs, connectTimeoutMs } = this.#options;
    const ms = this.heartbeatMs ? this.heartbeatMs + heartbeatGraceMs : connectTimeoutMs;
    const onSilent = this.#onSilent;
    clearTimeout(this.#watchdog);
    this.#watchdog = setTimeout(() => onSilent(`no frame from the server for ${ms} ms`), ms);
  }
}
