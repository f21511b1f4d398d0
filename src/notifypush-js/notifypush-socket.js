// notifypush-socket.js: one connection to the server, as the client (notifypush.js) and a shared-mode follower's
// catch-up (notifypush-shared.js) open it: the token, the URL, the transport (a WebSocket, or the Server-Sent Events
// fallback of notifypush-sse.js), a watchdog for half-open sockets, reading frames.

import { CloseCodes, socketUrl } from './notifypush-protocol.js';
import { EventStreamSocket, eventStreamAckUrl, eventStreamUrl } from './notifypush-sse.js';

/** @import { EventSourceConstructorLike, FetchLike, NotifyPushClientOptions, TokenRequest, Transport, WebSocketConstructorLike, WebSocketLike } from './notifypush.js' */

// WebSocket attempts in a row that end before the server's welcome, after which 'auto' falls back to the event stream.
const FALLBACK_AFTER_FAILURES = 2;

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
 * @property {'auto' | Transport} transport
 * @property {string | null} sseUrl
 * @property {EventSourceConstructorLike | null} EventSource
 * @property {FetchLike | null} fetch
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
  #onTransport;
  /** @type {Transport} */
  #transport;
  #failures = 0;

  /**
   * @param {SocketOptions} options
   * @param {(error: unknown) => void} report
   * @param {(transport: Transport, previous: Transport) => void} [onTransport] told when 'auto' falls back.
   */
  constructor(options, report, onTransport = () => {}) {
    this.#options = options;
    this.#report = report;
    this.#onTransport = onTransport;
    this.#transport = options.transport === 'sse' ? 'sse' : 'websocket';
  }

  /** The transport the next connection uses. @returns {Transport} */
  get transport() {
    return this.#transport;
  }

  /** Back to the configured transport (a new start tries the WebSocket again). */
  reset() {
    this.#failures = 0;
    this.#transport = this.#options.transport === 'sse' ? 'sse' : 'websocket';
  }

  /**
   * Learns from a connection's end: a WebSocket that ended before the server's welcome, twice in a row, is taken for a
   * network that refuses WebSockets, and 'auto' uses the event stream from then on.
   * @param {Connection} conn
   * @param {boolean} welcomed
   */
  ended(conn, welcomed) {
    if (welcomed || conn.transport !== 'websocket') {
      if (welcomed) this.#failures = 0;
      return;
    }
    if (++this.#failures >= FALLBACK_AFTER_FAILURES) this.#fallBack();
  }

  #canFallBack() {
    const { transport, EventSource, fetch } = this.#options;
    return transport === 'auto' && this.#transport === 'websocket' && typeof EventSource === 'function' && typeof fetch === 'function';
  }

  #fallBack() {
    if (!this.#canFallBack()) return;
    this.#transport = 'sse';
    this.#onTransport('sse', 'websocket');
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
    if (this.#transport === 'websocket') {
      try {
        const ws = new this.#options.WebSocket(socketUrl(this.#options.url, { token, since }));
        return new Connection(ws, since, this.#options, this.#report, 'websocket');
      } catch (error) {
        // A page or an extension that blocks WebSockets makes the constructor throw: nothing to wait for.
        if (!this.#canFallBack()) {
          this.#report(error);
          return { failed: 'the WebSocket could not be created' };
        }
        this.#fallBack();
      }
    }
    const { url, sseUrl, EventSource, fetch } = this.#options;
    try {
      const stream = eventStreamUrl(sseUrl ?? url, {}, sseUrl !== null);
      const ws = new EventStreamSocket(eventStreamUrl(stream, { token, since }, true), {
        token: token ?? null,
        ackUrl: eventStreamAckUrl(stream),
        EventSource: /** @type {EventSourceConstructorLike} */ (EventSource),
        fetch: /** @type {FetchLike} */ (fetch),
      });
      return new Connection(ws, since, this.#options, this.#report, 'sse');
    } catch (error) {
      this.#report(error);
      return { failed: 'the event stream could not be created' };
    }
  }
}

/** One socket (or event stream) to the server and its watchdog. */
export class Connection {
  /** The `since` it was opened with. */
  since;
  /** Its transport. @type {Transport} */
  transport;
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
   * @param {Transport} [transport]
   */
  constructor(ws, since, options, report, transport = 'websocket') {
    this.ws = ws;
    this.since = since;
    this.transport = transport;
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
