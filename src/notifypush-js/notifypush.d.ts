// Types of notifypush.js, the browser client of NotifyPush.

/** Where the client is: `idle` before start(), `stopped` after stop() or a terminal close code. */
export type ClientState = 'idle' | 'connecting' | 'syncing' | 'live' | 'reconnecting' | 'stopped';

/**
 * `solo`: own socket. Shared mode: `leader` owns the browser's one socket, `follower` receives through it (and,
 * when it joined behind the leader's stream, first fetches what it missed on a short-lived socket of its own).
 */
export type ClientRole = 'solo' | 'leader' | 'follower';

/** How the client reaches the server: a WebSocket (`/ws`) or the Server-Sent Events fallback (`GET /sse`, acks on `POST /sse/ack`). */
export type Transport = 'websocket' | 'sse';

/** One notification, as handed to `notification` handlers. */
export interface Notification<TPayload = unknown> {
  /** Place in the user's stream: 1, 2, 3… without holes; handlers see it increasing. */
  seq: number;
  /** UUID of the notification. */
  id: string;
  /** The `type` the sending service gave it, e.g. `order.shipped`. */
  event: string;
  /** The sender's JSON; `null` when it sent none. */
  payload: TPayload;
  /** Acceptance time, UTC ISO 8601 (`2026-11-21T06:03:32.480723Z`). */
  createdAt: string;
  /** True when it was replayed from the store on connect (before `synced`), false when it arrived live. */
  replayed: boolean;
}

/** Why the client asks for a token. */
export interface TokenRequest {
  /** `connect`: before a connection attempt; `refresh`: the server sent `token-expiring`; `expired`: reconnecting after 4001. */
  reason: 'connect' | 'refresh' | 'expired';
}

/** Full-jitter exponential backoff: retry n (from 0) waits random(0, min(maxMs, firstMs × 2ⁿ)). */
export interface BackoffOptions {
  /** Window of the first retry, ms. Default 5000. */
  firstMs?: number;
  /** Largest window, ms. Default 60000. */
  maxMs?: number;
}

/** The WebSocket constructor the client uses: the browser's, or an equivalent (Node 22+, undici). */
export interface WebSocketConstructorLike {
  new (url: string): WebSocketLike;
}

/**
 * The part of the WebSocket interface the client uses. The client sets the handlers and reads only `data`, `code`
 * and `reason`; they are typed with the DOM's events so that the browser's WebSocket fits as well as a smaller one.
 */
export interface WebSocketLike {
  readonly readyState: number;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** The EventSource constructor of the fallback: the browser's, or an equivalent (the `eventsource` package in Node). */
export interface EventSourceConstructorLike {
  new (url: string): EventSourceLike;
}

/** The part of the EventSource interface the fallback uses. */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
}

/** The fetch the fallback POSTs its acks with. Default `globalThis.fetch`. */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string; credentials: 'same-origin'; keepalive: boolean }) => Promise<unknown>;

/** The part of the Web Locks API (`navigator.locks`) shared mode uses. */
export interface LockManagerLike {
  request(name: string, options: { signal?: AbortSignal }, callback: (lock: unknown) => Promise<unknown> | unknown): Promise<unknown>;
}

/** The BroadcastChannel constructor shared mode uses (the handler is typed as WebSocketLike's, for the same reason). */
export interface BroadcastChannelConstructorLike {
  new (name: string): {
    onmessage: ((event: MessageEvent) => void) | null;
    postMessage(message: unknown): void;
    close(): void;
  };
}

export interface NotifyPushClientOptions {
  /** The socket endpoint: a ws(s):// URL, or an http(s) URL or path resolved against the page. Default `/ws`. */
  url?: string;
  /**
   * Returns the user's token; called before every connection attempt, on `token-expiring` and after 4001.
   * Omitted, or returning null: no `access_token`, the cookie authenticates.
   */
  getToken?: (request: TokenRequest) => string | null | undefined | Promise<string | null | undefined>;
  /** Initial resume point: the first connection asks for what follows it. Default: the server replays what the user has not acknowledged. */
  since?: number | null;
  /** Reconnect delays. */
  backoff?: BackoffOptions;
  /** A socket with no frame for heartbeatSeconds × 1000 + this is taken for half-open and replaced. Default 10000 ms. */
  heartbeatGraceMs?: number;
  /** A connection attempt without `welcome` within this is abandoned and retried. Default 20000 ms. */
  connectTimeoutMs?: number;
  /**
   * Share one socket between the tabs of this browser (origin) that are signed in as the same user: `true`, or
   * `{ name, userId }`. The group is keyed by the user: `userId` when given, else the `sub` claim of the token
   * `getToken` returns (read, not verified: it only picks the group). When neither is known (cookie authentication
   * without `userId`, an opaque token) the client runs solo. A tab whose token turns out to be another user's leaves
   * the group and stops with 1008. Needs the Web Locks API and BroadcastChannel; without them the client runs solo.
   * Every tab still gets every notification once and in order, also one that joins with an older `since`.
   */
  shared?: boolean | { name?: string; userId?: string };
  /** WebSocket implementation. Default `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructorLike;
  /**
   * `auto` (default): a WebSocket, and the Server-Sent Events stream once the WebSocket cannot be created or two
   * attempts in a row end before the server's welcome (a proxy that refuses upgrades), until the next start().
   * `websocket` or `sse`: only that one. The guarantees are the same on both.
   */
  transport?: 'auto' | Transport;
  /** The event stream's URL. Default: `url` with its final `/ws` replaced by `/sse` (acks go to this URL + `/ack`). */
  sseUrl?: string;
  /** EventSource implementation of the fallback. Default `globalThis.EventSource`. */
  EventSource?: EventSourceConstructorLike | null;
  /** fetch of the fallback's acks. Default `globalThis.fetch`. */
  fetch?: FetchLike | null;
  /** Lock manager of shared mode. Default `navigator.locks`. */
  locks?: LockManagerLike | null;
  /** BroadcastChannel constructor of shared mode. Default `globalThis.BroadcastChannel`. */
  BroadcastChannel?: BroadcastChannelConstructorLike | null;
  /** Source of `online` / `offline` events. Default `globalThis` in browsers and workers; null ignores connectivity. */
  connectivity?: EventTarget | null;
}

export interface ConnectedEvent {
  userId: string;
  connectionId: string;
  heartbeatSeconds: number;
  /** The transport of this connection (in shared mode: of the leader's). */
  transport: Transport;
}

/** The client changed transport: `auto` fell back to the event stream. */
export interface TransportEvent {
  transport: Transport;
  previous: Transport;
}

export interface SyncedEvent {
  /** The stream's position after the replay; the client's position is at least this now. */
  seq: number;
  /** False when notifications after the resume point are gone (expired, pruned, or over the replay limit): reload from the application. */
  recovered: boolean;
}

export interface DisconnectedEvent {
  /** The close code; 1006 when the connection failed, went silent (half-open), the token provider failed or the browser went offline. */
  code: number;
  reason: string;
  willReconnect: boolean;
  /** Delay before the next attempt, ms; null when not reconnecting or waiting for `online`. */
  delayMs: number | null;
}

export interface StateEvent {
  state: ClientState;
  previous: ClientState;
}

export interface RoleEvent {
  role: ClientRole;
  previous: ClientRole;
}

export interface StoppedEvent {
  /** 4003 signed out, 1008, 1009, 4400, or 1000 after stop(). */
  code: number;
  reason: string;
}

/** Without an `error` handler these go to `console.error`. */
export interface ErrorEvent {
  /** What the token provider or a handler threw, or a protocol problem. */
  error: unknown;
}

/** Event details by name; `TPayload` is the notifications' payload type. */
export interface NotifyPushEventMap<TPayload = any> {
  notification: Notification<TPayload>;
  connected: ConnectedEvent;
  synced: SyncedEvent;
  disconnected: DisconnectedEvent;
  state: StateEvent;
  role: RoleEvent;
  transport: TransportEvent;
  stopped: StoppedEvent;
  error: ErrorEvent;
}

/**
 * A user's notification stream: resumes after every disconnect, delivers each notification once and in order,
 * acknowledges what the handlers completed. `TPayload` types the payloads (like MessageEvent's data: any by default).
 */
export declare class NotifyPushClient<TPayload = any> {
  constructor(options?: NotifyPushClientOptions);
  readonly state: ClientState;
  /** Highest seq whose handlers completed: the resume point (`options.since` until then; else null). */
  readonly position: number | null;
  readonly role: ClientRole;
  /** The transport this tab's connections use; `sse` once `auto` fell back (a `transport` event says when). */
  readonly transport: Transport;
  /** Adds a handler; returns a function that removes it. A `notification` handler's promise is awaited before the next notification and the ack. */
  on<K extends keyof NotifyPushEventMap>(event: K, handler: (detail: NotifyPushEventMap<TPayload>[K]) => unknown): () => void;
  off<K extends keyof NotifyPushEventMap>(event: K, handler: (detail: NotifyPushEventMap<TPayload>[K]) => unknown): void;
  /** Connects, or joins the browser's shared connection. After stop(): resumes from `position`. */
  start(): void;
  /** Closes with 1000 and stops reconnecting. In shared mode another tab takes over the socket. */
  stop(): void;
}

/** Close codes of the NotifyPush socket. */
export declare const CloseCodes: Readonly<{
  Normal: 1000;
  GoingAway: 1001;
  Abnormal: 1006;
  PolicyViolation: 1008;
  MessageTooBig: 1009;
  InternalError: 1011;
  ServiceRestart: 1012;
  CredentialExpired: 4001;
  SignedOut: 4003;
  SlowConsumer: 4008;
  MalformedFrame: 4400;
}>;

/** What the client does after a close: stop (terminal), reauth (new token, reconnect), reconnect (backoff, since). */
export declare function closeAction(code: number): 'stop' | 'reauth' | 'reconnect';

/** random(0, min(maxMs, firstMs × 2^attempt)) in whole ms; attempt 0 is the first retry. */
export declare function backoffDelay(attempt: number, options?: BackoffOptions, random?: () => number): number;

/** Retry counter with full-jitter delays. */
export declare class Backoff {
  constructor(options?: BackoffOptions, random?: () => number);
  readonly attempt: number;
  next(): number;
  reset(): void;
}

/** Highest handled seq: drops duplicates, gives `since`. */
export declare class ResumePoint {
  constructor(position?: number | null);
  position: number | null;
  isDuplicate(seq: number): boolean;
  advance(seq: number): void;
  synced(seq: number, since: number | null): void;
}

/** Acks of one socket: never beyond what that socket has shown. */
export declare class AckWindow {
  limit: number;
  sent: number;
  received(seq: number): void;
  next(position: number | null): number | null;
}

/**
 * The event stream URL of one attempt, with `access_token` and `since`: `url` itself when `explicit`, else the socket
 * URL with its final `/ws` replaced by `/sse`.
 */
export declare function eventStreamUrl(url: string, query?: { token?: string | null; since?: number | null }, explicit?: boolean, base?: string): string;

/** The socket URL of one attempt, with `access_token` and `since`. */
export declare function socketUrl(url: string, query?: { token?: string | null; since?: number | null }, base?: string): string;

/** What failed in enableWebPush / disableWebPush. */
export type WebPushErrorCode =
  | 'unsupported'
  | 'permission-denied'
  | 'service-worker-failed'
  | 'not-enabled'
  | 'subscribe-failed'
  | 'server-refused'
  | 'network';

/** A failed Web Push step; `status` is the server's HTTP status when it refused. */
export declare class WebPushError extends Error {
  constructor(code: WebPushErrorCode, message: string, details?: { status?: number | null; cause?: unknown });
  readonly code: WebPushErrorCode;
  readonly status: number | null;
}

/** The fetch the Web Push helper calls the server with. Default `globalThis.fetch`. */
export type WebPushFetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; credentials: 'omit' | 'include' },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

/** A browser push subscription as `PushSubscription.toJSON()` gives it. */
export interface PushSubscriptionJSONLike {
  endpoint?: string;
  expirationTime?: number | null;
  keys?: Record<string, string>;
}

/** The parts of a PushSubscription the helper uses. */
export interface PushSubscriptionLike {
  readonly endpoint: string;
  readonly options?: { applicationServerKey?: ArrayBuffer | null };
  toJSON(): PushSubscriptionJSONLike;
  unsubscribe(): Promise<boolean>;
}

/** The parts of a ServiceWorkerContainer (`navigator.serviceWorker`) the helper uses. */
export interface ServiceWorkerContainerLike {
  register(url: string, options?: { scope?: string }): Promise<unknown>;
  readonly ready: Promise<{ pushManager?: PushManagerLike }>;
  getRegistration(scope?: string): Promise<{ pushManager?: PushManagerLike } | undefined>;
}

/** The parts of a PushManager the helper uses. */
export interface PushManagerLike {
  getSubscription(): Promise<PushSubscriptionLike | null>;
  subscribe(options: { userVisibleOnly: boolean; applicationServerKey: Uint8Array<ArrayBuffer> }): Promise<PushSubscriptionLike>;
}

/** The Notification API's permission part. */
export interface NotificationPermissionLike {
  readonly permission: string;
  requestPermission(): Promise<string>;
}

/** Options of enableWebPush / disableWebPush. */
export interface WebPushOptions {
  /** The NotifyPush server, e.g. `https://push.example.com`. Default `location.origin`. */
  serverUrl?: string;
  /** The user's JWT, sent as `Authorization: Bearer`; absent or null: the cookie credential (`credentials: 'include'`). */
  getToken?: (() => Promise<string | null> | string | null) | null;
  /** The service worker script on the application's origin. Default `/notifypush-sw.js`. */
  serviceWorker?: string;
  /** The worker's scope. Default: the script's folder. */
  scope?: string | null;
  /** The worker acknowledges a clicked push at `serverUrl/sse/ack` (cookie credential only; cumulative). Default false. */
  ackOnClick?: boolean;
  /** Default `navigator.serviceWorker`. */
  serviceWorkerContainer?: ServiceWorkerContainerLike | null;
  /** Default `globalThis.fetch`. */
  fetch?: WebPushFetchLike | null;
  /** Default `globalThis.Notification`; null skips the permission request. */
  Notification?: NotificationPermissionLike | null;
}

/** Registers the service worker, subscribes to pushes and saves the subscription for the user (POST /push/subscriptions). */
export declare function enableWebPush(options: WebPushOptions): Promise<PushSubscriptionJSONLike>;

/** Removes this browser's subscription (DELETE /push/subscriptions) and unsubscribes; false when it had none. */
export declare function disableWebPush(options: WebPushOptions): Promise<boolean>;

/** A base64url VAPID key as the bytes `pushManager.subscribe` takes. */
export declare function applicationServerKey(base64url: string): Uint8Array<ArrayBuffer>;
