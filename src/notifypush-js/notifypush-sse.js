// notifypush-sse.js: the Server-Sent Events fallback (GET /sse, POST /sse/ack, docs/protocol.md) shaped as the
// WebSocket the rest of the client speaks to, so resume, dedupe, acks, backoff and shared mode are the same code on
// either transport.

import { CloseCodes } from './notifypush-protocol.js';

/** @import { EventSourceConstructorLike, FetchLike } from './notifypush.js' */

/** The event types of the stream that carry a frame for the client (`close` ends the stream instead). */
const FRAME_EVENTS = ['welcome', 'notification', 'synced', 'token-expiring'];

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

/**
 * The event stream's URL: `sseUrl`, or else the socket URL with its last path segment `ws` replaced by `sse`
 * (`wss://host/ws` → `https://host/sse`), with the token and `since` in the query as on the socket.
 * @param {string} url the socket URL (or an explicit event stream URL when `explicit`).
 * @param {{token?: string | null, since?: number | null}} query
 * @param {boolean} explicit `url` already names the event stream.
 * @param {string} [base] what a relative URL is resolved against.
 */
export function eventStreamUrl(url, { token = null, since = null } = {}, explicit = false, base = globalThis.location?.href) {
  const target = new URL(url, base);
  if (target.protocol === 'ws:') target.protocol = 'http:';
  else if (target.protocol === 'wss:') target.protocol = 'https:';
  if (!explicit) target.pathname = target.pathname.replace(/\/ws\/?$/, '') + '/sse';
  target.search = '';
  target.hash = '';
  // EventSource cannot set headers either: the token goes in the query, which the server never logs.
  if (token) target.searchParams.set('access_token', token);
  if (since !== null && since !== undefined) target.searchParams.set('since', String(since));
  return target.href;
}

/**
 * Where the acks of the stream at `stream` (a URL without query) go: its path plus `/ack` (`/sse` → `/sse/ack`).
 * @param {string} stream
 */
export function eventStreamAckUrl(stream) {
  const target = new URL(stream);
  target.pathname = `${target.pathname.replace(/\/$/, '')}/ack`;
  target.search = '';
  return target.href;
}

/**
 * One `GET /sse` stream as a WebSocketLike: each event's data arrives as a message, the `close` event and a failed
 * stream arrive as a close, and an `ack` sent is a `POST /sse/ack`. The stream's heartbeats are comment lines, which
 * EventSource does not show: while it is open, this makes a `ping` of its own each heartbeat interval, so the client's
 * rules (a stream that lived a heartbeat is healthy; silence is half-open) read the same.
 */
export class EventStreamSocket {
  /** @type {number} */
  readyState = CONNECTING;
  /** @type {((event: {data: string}) => void) | null} */
  onmessage = null;
  /** @type {((event: {code: number, reason: string}) => void) | null} */
  onclose = null;
  /** @type {((event: unknown) => void) | null} */
  onerror = null;
  #source;
  #token;
  #ackUrl;
  #fetch;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  #heartbeat = undefined;

  /**
   * @param {string} url the stream's URL with its query (eventStreamUrl).
   * @param {{token: string | null, ackUrl: string, EventSource: EventSourceConstructorLike, fetch: FetchLike}} options
   */
  constructor(url, { token, ackUrl, EventSource, fetch }) {
    this.#token = token;
    this.#ackUrl = ackUrl;
    this.#fetch = fetch;
    const source = new EventSource(url);
    this.#source = source;
    source.onopen = () => {
      if (this.readyState === CONNECTING) this.readyState = OPEN;
    };
    for (const type of FRAME_EVENTS) {
      source.addEventListener(type, (event) => this.#frame(type, /** @type {{data: string}} */ (event).data));
    }
    source.addEventListener('close', (event) => {
      let code = /** @type {number} */ (CloseCodes.Abnormal);
      let reason = 'malformed close event';
      try {
        const data = JSON.parse(/** @type {{data: string}} */ (event).data);
        code = Number(data.code) || CloseCodes.Abnormal;
        reason = String(data.reason ?? '');
      } catch {
        // Taken as a lost stream: the client resumes with since.
      }
      this.#end(code, reason);
    });
    // A refused request (401, 429, 503) or a broken stream: EventSource would reconnect by itself with Last-Event-ID,
    // but the client decides when and with which token and since, as for a socket.
    source.onerror = () => this.#end(CloseCodes.Abnormal, 'event stream failed');
  }

  /** @param {string} data a client frame; `ack` is POSTed, `auth` keeps the newer token for the acks, the rest has no HTTP form. */
  send(data) {
    if (this.readyState !== OPEN) return;
    const frame = JSON.parse(data);
    if (frame.type === 'auth') this.#token = frame.token;
    else if (frame.type === 'ack') this.#ack(frame.seq);
  }

  /** Ends the stream; like a WebSocket the client let go of, it reports nothing more. */
  close() {
    this.#stop();
  }

  /**
   * @param {string} type
   * @param {string} data
   */
  #frame(type, data) {
    if (this.readyState === CLOSED) return;
    this.readyState = OPEN;
    if (type === 'welcome') {
      let seconds = 25;
      try {
        seconds = Number(JSON.parse(data).heartbeatSeconds) || 25;
      } catch {
        // The client reports the malformed frame itself.
      }
      clearInterval(this.#heartbeat);
      this.#heartbeat = setInterval(() => {
        if (this.readyState === OPEN && this.#source.readyState === OPEN) this.onmessage?.({ data: '{"type":"ping"}' });
      }, seconds * 1000);
    }
    this.onmessage?.({ data });
  }

  /** @param {number} seq */
  #ack(seq) {
    /** @type {Record<string, string>} */
    const headers = { 'content-type': 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    // Acks are cumulative: a lost one is covered by the next, and a resume uses since, not the stored ack.
    Promise.resolve()
      .then(() => this.#fetch(this.#ackUrl, { method: 'POST', headers, body: JSON.stringify({ seq }), credentials: 'same-origin', keepalive: true }))
      .catch(() => {});
  }

  /**
   * @param {number} code
   * @param {string} reason
   */
  #end(code, reason) {
    if (this.readyState === CLOSED) return;
    this.#stop();
    this.onclose?.({ code, reason });
  }

  #stop() {
    this.readyState = CLOSED;
    clearInterval(this.#heartbeat);
    this.#source.close();
  }
}
