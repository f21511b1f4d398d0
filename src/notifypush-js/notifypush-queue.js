// notifypush-queue.js: the handler queue, a module of notifypush.js. Notifications and `synced` markers wait here in
// arrival order and reach the handlers one at a time: the next waits for the previous one's handlers, a seq the
// handlers already completed is dropped, and the resume point moves only past what they completed. Every sort of
// arrival (a socket of this tab, the leader's relay, a follower's catch-up) goes through the same queue, so the
// handlers see each seq once and in order whichever way it came.

import { ResumePoint } from './notifypush-protocol.js';

/** @import { Notification as PushNotification, SyncedEvent } from './notifypush.js' */
/** @import { QueueItem } from './notifypush-protocol.js' */

// Acks wait while more notifications are queued, but not forever under a steady stream.
export const MAX_UNACKED = 100;

/**
 * What the queue calls.
 * @typedef {object} QueueSink
 * @property {(notification: PushNotification) => Promise<void>} deliver runs the `notification` handlers; the next
 *   item waits for the promise.
 * @property {(event: SyncedEvent) => void} synced the `synced` event: the replay caught up.
 * @property {(position: number | null) => void} acknowledge the handlers completed up to `position`: the end of a
 *   burst, or every MAX_UNACKED items of a steady stream.
 */

/** One tab's queue in front of its handlers, and the two positions it keeps. */
export class HandlerQueue {
  #resume;
  #received;
  #sink;
  /** @type {QueueItem[]} */
  #items = [];
  #draining = false;
  #unacked = 0;

  /**
   * @param {number | null} since the position to start from (`options.since`).
   * @param {QueueSink} sink
   */
  constructor(since, sink) {
    this.#resume = new ResumePoint(since);
    this.#received = new ResumePoint(since);
    this.#sink = sink;
  }

  /** Highest seq whose handlers completed: where a new socket resumes (its `since`). */
  get resume() {
    return this.#resume;
  }

  /** The highest seq queued or handled: where what this tab has ends (ahead of `resume` while handlers run). */
  get received() {
    return this.#received;
  }

  /** Queues an item behind the others; starts handing them to the handlers unless that is under way. @param {QueueItem} item */
  push(item) {
    if (item.kind === 'synced') this.#received.synced(item.seq, item.since);
    else this.#received.advance(item.notification.seq);
    this.#items.push(item);
    if (!this.#draining) this.#drain();
  }

  /**
   * Drops what is still queued: its handlers never run, and the server replays it to whoever resumes from the
   * position. A handler already running completes and still moves the position.
   */
  clear() {
    this.#items.length = 0;
  }

  /** What this tab has is again what its handlers completed (a new start: what was queued is gone). */
  restart() {
    this.#received = new ResumePoint(this.#resume.position);
  }

  /** Hands queued items to the handlers one at a time; only one drain runs at a time. */
  async #drain() {
    this.#draining = true;
    try {
      while (this.#items.length > 0) {
        const item = /** @type {QueueItem} */ (this.#items.shift()); // not empty: checked above
        if (item.kind === 'synced') {
          this.#resume.synced(item.seq, item.since);
          this.#sink.synced({ seq: item.seq, recovered: item.recovered });
        } else if (!this.#resume.isDuplicate(item.notification.seq)) {
          await this.#sink.deliver(item.notification);
          this.#resume.advance(item.notification.seq);
        }
        this.#unacked++;
        if (this.#items.length === 0 || this.#unacked >= MAX_UNACKED) {
          this.#unacked = 0;
          this.#sink.acknowledge(this.#resume.position);
        }
      }
    } finally {
      this.#draining = false;
    }
  }
}
