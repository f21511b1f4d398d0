// The handler queue (notifypush-queue.js) on its own: one notification at a time and in order, duplicates dropped,
// the position moved only past what the handlers completed, and the acknowledgement after a burst.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { notificationItem, syncedItem } from '../notifypush-protocol.js';
import { HandlerQueue, MAX_UNACKED } from '../notifypush-queue.js';
import { gate, waitFor } from './support/wait.mjs';

/**
 * A queue whose sink records what it is told; `block(seq)` holds that notification's handler until opened.
 * @param {number | null} [since]
 */
function recordingQueue(since = null) {
  const log = [];
  const gates = new Map();
  const queue = new HandlerQueue(since, {
    deliver: async (notification) => {
      log.push(['started', notification.seq]);
      await gates.get(notification.seq)?.promise;
      log.push(['handled', notification.seq]);
    },
    synced: (event) => log.push(['synced', event]),
    acknowledge: (position) => log.push(['ack', position]),
  });
  const block = (seq) => {
    const g = gate();
    gates.set(seq, g);
    return g;
  };
  return { queue, log, block };
}

/** @param {number} seq */
const item = (seq) => notificationItem({ seq, id: `n${seq}`, event: 'test', payload: { seq }, createdAt: '2026-01-01T00:00:00Z' }, false);

describe('handler queue', () => {
  test('hands notifications to the handler one at a time, in the order they were pushed', async () => {
    const { queue, log, block } = recordingQueue();
    const first = block(1);
    queue.push(item(1));
    queue.push(item(2));
    queue.push(item(3));

    await waitFor(() => log.length > 0, { timeoutMs: 5_000, message: 'the first handler' });
    assert.deepEqual(log, [['started', 1]], 'the next waits for the running handler');

    first.open();
    await waitFor(() => log.some(([what]) => what === 'ack'), { timeoutMs: 5_000, message: 'the ack' });
    assert.deepEqual(log, [['started', 1], ['handled', 1], ['started', 2], ['handled', 2], ['started', 3], ['handled', 3], ['ack', 3]]);
  });

  test('received runs ahead while the handlers work; the position (resume) only moves once they completed', async () => {
    const { queue, log, block } = recordingQueue(4);
    const fifth = block(5);
    queue.push(item(5));
    queue.push(item(6));

    assert.equal(queue.received.position, 6);
    assert.equal(queue.resume.position, 4, 'the handler of 5 still runs: a new socket resumes from 4');

    fifth.open();
    await waitFor(() => queue.resume.position === 6, { timeoutMs: 5_000, message: 'the position 6' });
    assert.deepEqual(log.at(-1), ['ack', 6]);
  });

  test('a seq at or below the position is dropped without running the handler', async () => {
    const { queue, log, block } = recordingQueue(10);
    const eleventh = block(11);
    for (const seq of [11, 9, 10, 11, 12]) queue.push(item(seq)); // one burst: 11 is handled before the rest

    eleventh.open();
    await waitFor(() => log.some(([what]) => what === 'ack'), { timeoutMs: 5_000, message: 'the ack' });
    assert.deepEqual(log, [['started', 11], ['handled', 11], ['started', 12], ['handled', 12], ['ack', 12]]);
  });

  test('a synced marker takes its place in line: the event comes after the notifications before it', async () => {
    const { queue, log, block } = recordingQueue(3);
    const fourth = block(4);
    queue.push(item(4));
    queue.push(syncedItem({ seq: 9, recovered: false }, 3)); // 5 to 8 are no longer held
    queue.push(item(10));

    assert.equal(queue.received.position, 10);
    fourth.open();
    await waitFor(() => log.some(([what]) => what === 'ack'), { timeoutMs: 5_000, message: 'the ack' });
    assert.deepEqual(log, [['started', 4], ['handled', 4], ['synced', { seq: 9, recovered: false }], ['started', 10], ['handled', 10], ['ack', 10]]);
  });

  test(`a steady stream is acknowledged every ${MAX_UNACKED} items, not only when the queue runs empty`, async () => {
    const { queue, log, block } = recordingQueue(0);
    const last = block(2 * MAX_UNACKED + 1);
    for (let seq = 1; seq <= 2 * MAX_UNACKED + 1; seq++) queue.push(item(seq));

    await waitFor(() => log.filter(([what]) => what === 'ack').length === 2, { timeoutMs: 5_000, message: 'two acks' });
    assert.deepEqual(log.filter(([what]) => what === 'ack'), [['ack', MAX_UNACKED], ['ack', 2 * MAX_UNACKED]]);
    last.open();
    await waitFor(() => log.filter(([what]) => what === 'ack').length === 3, { timeoutMs: 5_000, message: 'the last ack' });
    assert.deepEqual(log.at(-1), ['ack', 2 * MAX_UNACKED + 1]);
  });

  test('clear drops what waits (the running handler completes); restart makes received the position again', async () => {
    const { queue, log, block } = recordingQueue();
    const first = block(1);
    queue.push(item(1));
    queue.push(item(2));
    queue.push(item(3));
    await waitFor(() => log.length > 0, { timeoutMs: 5_000, message: 'the first handler' });

    queue.clear();
    first.open();
    await waitFor(() => log.some(([what]) => what === 'ack'), { timeoutMs: 5_000, message: 'the ack' });
    assert.deepEqual(log, [['started', 1], ['handled', 1], ['ack', 1]]);
    assert.equal(queue.received.position, 3, 'what was queued still counts until a restart');

    queue.restart();
    assert.equal(queue.received.position, 1);
    queue.push(item(2));
    await waitFor(() => log.length === 6, { timeoutMs: 5_000, message: 'the replayed 2' });
    assert.deepEqual(log.slice(3), [['started', 2], ['handled', 2], ['ack', 2]]);
  });
});
