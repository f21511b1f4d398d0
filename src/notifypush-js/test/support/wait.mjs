// Bounded waits: every wait in these tests ends with the awaited condition or a failure, never a plain sleep.

/**
 * Polls `condition` (sync or async) until it returns something truthy; resolves with that value.
 * @param {() => unknown} condition
 * @param {{timeoutMs?: number, intervalMs?: number, message?: string}} [options]
 */
export async function waitFor(condition, { timeoutMs = 20_000, intervalMs = 20, message = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${message}.`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Races `promise` against a timeout. */
export async function within(promise, timeoutMs, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${message}.`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A promise the test resolves itself, e.g. to let a blocked handler finish. */
export function gate() {
  let open;
  const promise = new Promise((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/**
 * Records every event of a client in order, and waits for one.
 * `events` holds {name, detail}; `notifications` the seqs handed to notification handlers.
 */
export class EventLog {
  events = [];
  /** Every notification handed to the handlers, in order. */
  received = [];

  /** @param {import('../../notifypush.js').NotifyPushClient} client */
  constructor(client) {
    for (const name of ['connected', 'synced', 'disconnected', 'state', 'role', 'stopped', 'error']) {
      client.on(name, (detail) => this.events.push({ name, detail }));
    }
    client.on('notification', (n) => {
      this.received.push(n);
    });
  }

  /** Seqs handed to the handlers, in order. */
  get notifications() {
    return this.received.map((n) => n.seq);
  }

  /** Events named `name`, optionally filtered. */
  all(name, filter = () => true) {
    return this.events.filter((e) => e.name === name && filter(e.detail)).map((e) => e.detail);
  }

  /** Resolves with the `count`-th event named `name` (counting from the start of the log) that passes `filter`. */
  next(name, { count = 1, filter = () => true, timeoutMs = 30_000 } = {}) {
    return waitFor(() => this.all(name, filter)[count - 1], { timeoutMs, message: `event '${name}' #${count}` });
  }

  /** Resolves once the handlers have seen `seq`. */
  seen(seq, timeoutMs = 30_000) {
    return waitFor(() => this.notifications.includes(seq), { timeoutMs, message: `notification ${seq}` });
  }
}

/** Seqs from..to inclusive. */
export function range(from, to) {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
