// notifypush-connectivity.js: the browser's `offline` and `online` events for the client, a module of notifypush.js.
// Offline, a socket is as good as dead and waiting for its close could take minutes, and a retry cannot succeed:
// the client drops the socket and waits for `online`, which reconnects at once instead of after the backoff.

/**
 * What the watcher asks and tells.
 * @typedef {object} ConnectivityHandlers
 * @property {() => boolean} concerned whether going offline concerns this client now (not when its socket is
 *   another tab's, nor when it is stopped): otherwise the `offline` event is ignored.
 * @property {() => void} offline the client went offline: drop the socket, connect on `online`.
 * @property {() => void} online back online after an `offline` that concerned the client.
 */

/** Listens to a source of `online` / `offline` events while the client runs, and knows whether it is offline. */
export class ConnectivityWatcher {
  #target;
  #handlers;
  #offline = false;

  /**
   * @param {EventTarget | null} target `options.connectivity`: the window or worker; null never goes offline.
   * @param {ConnectivityHandlers} handlers
   */
  constructor(target, handlers) {
    this.#target = target;
    this.#handlers = handlers;
  }

  /** Whether the client is offline: it opens no socket and schedules no retry until `online`. */
  get offline() {
    return this.#offline;
  }

  /** Starts listening, online until told otherwise. */
  watch() {
    this.#offline = false;
    this.#target?.addEventListener('offline', this.#onOffline);
    this.#target?.addEventListener('online', this.#onOnline);
  }

  /** Stops listening. */
  unwatch() {
    this.#target?.removeEventListener('offline', this.#onOffline);
    this.#target?.removeEventListener('online', this.#onOnline);
  }

  #onOffline = () => {
    if (!this.#handlers.concerned()) return;
    this.#offline = true;
    this.#handlers.offline();
  };

  #onOnline = () => {
    if (!this.#offline) return;
    this.#offline = false;
    this.#handlers.online();
  };
}
