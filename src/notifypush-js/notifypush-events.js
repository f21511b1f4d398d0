// notifypush-events.js: the client's public events (README.md, "Events"), a module of notifypush.js. A handler's
// error never reaches whoever emitted the event: it becomes an `error` event, or goes to the console when nobody
// listens to those.

/** @import { NotifyPushEventMap } from './notifypush.js' */

/**
 * Handlers by event name, called in the order they were added.
 * @template [TPayload=any]
 */
export class Emitter {
  /** @type {Map<keyof NotifyPushEventMap, Set<(detail: any) => unknown>>} */
  #handlers = new Map();

  /**
   * @template {keyof NotifyPushEventMap} K
   * @param {K} event
   * @param {(detail: NotifyPushEventMap<TPayload>[K]) => unknown} handler
   * @returns {() => void} removes the handler.
   */
  on(event, handler) {
    let handlers = this.#handlers.get(event);
    if (!handlers) this.#handlers.set(event, (handlers = new Set()));
    handlers.add(handler);
    return () => this.off(event, handler);
  }

  /**
   * @template {keyof NotifyPushEventMap} K
   * @param {K} event
   * @param {(detail: NotifyPushEventMap<TPayload>[K]) => unknown} handler
   */
  off(event, handler) {
    this.#handlers.get(event)?.delete(handler);
  }

  /**
   * Calls every handler now; one that returns a promise is not waited for, but its rejection is reported.
   * @template {keyof NotifyPushEventMap} K
   * @param {K} name
   * @param {NotifyPushEventMap<TPayload>[K]} detail
   */
  emit(name, detail) {
    const handlers = this.#handlers.get(name);
    if (!handlers) return;
    // A copy: a handler that adds or removes handlers changes the next event, not this one.
    for (const handler of [...handlers]) {
      try {
        const result = handler(detail);
        if (name !== 'error' && isThenable(result)) result.then(undefined, (error) => this.error(error));
      } catch (error) {
        if (name !== 'error') this.error(error); // an 'error' handler that throws would loop
      }
    }
  }

  /**
   * Calls the handlers one after another, each once the previous one's promise settled; resolves after the last.
   * A handler that throws or rejects is reported and the next one still runs.
   * @template {keyof NotifyPushEventMap} K
   * @param {K} name
   * @param {NotifyPushEventMap<TPayload>[K]} detail
   */
  async emitInTurn(name, detail) {
    const handlers = this.#handlers.get(name);
    if (!handlers) return;
    for (const handler of [...handlers]) {
      try {
        await handler(detail);
      } catch (error) {
        // The application owns its errors; the event still counts as handled.
        this.error(error);
      }
    }
  }

  /** An `error` event. @param {unknown} error */
  error(error) {
    // Nobody listening must not mean nobody hears of a handler bug or a failing token provider.
    if (this.#handlers.get('error')?.size) this.emit('error', { error });
    else globalThis.console?.error('NotifyPush:', error);
  }
}

/**
 * Whether a handler returned a promise (or another thenable), whose rejection is then reported.
 * @param {unknown} value
 * @returns {value is PromiseLike<unknown>}
 */
function isThenable(value) {
  return typeof (/** @type {{then?: unknown} | null | undefined} */ (value))?.then === 'function';
}
