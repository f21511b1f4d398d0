// A TCP proxy between a client and a server that the test controls: it can stop forwarding on the open
// connections (a half-open socket, or a client that stops reading), cut them, or refuse new ones.
import net from 'node:net';

export class TcpProxy {
  #server;
  #pairs = new Set();
  #refusing = false;

  constructor(server, targetPort) {
    this.#server = server;
    this.targetPort = targetPort;
    this.port = server.address().port;
  }

  /** Listens on a free port of 127.0.0.1 and forwards every connection to `targetPort`. */
  static async start(targetPort) {
    let proxy;
    const server = net.createServer((client) => proxy.#accept(client));
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    proxy = new TcpProxy(server, targetPort);
    return proxy;
  }

  get socketUrl() {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  /** Connections forwarded now. */
  get connectionCount() {
    return this.#pairs.size;
  }

  #accept(client) {
    if (this.#refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    const pair = { client, upstream };
    this.#pairs.add(pair);
    // Explicit 'data' handlers instead of pipe(): pause() on a side then stops that direction exactly.
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => client.write(chunk));
    const end = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  }

  /** Stops forwarding both ways on the open connections and keeps them open: to both ends, a half-open connection. */
  freeze() {
    for (const { client, upstream } of this.#pairs) {
      client.pause();
      upstream.pause();
    }
  }

  /** Stops reading what the server sends on the open connections, as a client that stopped reading would. */
  stopDownstream() {
    for (const { upstream } of this.#pairs) upstream.pause();
  }

  /** Forwards again on the open connections. */
  resume() {
    for (const { client, upstream } of this.#pairs) {
      client.resume();
      upstream.resume();
    }
  }

  /** Drops every open connection without a close frame (a network failure: the client sees 1006). */
  cut() {
    for (const { client, upstream } of this.#pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.#pairs.clear();
  }

  /** While on, new connections are dropped at once (the server looks unreachable). */
  refuse(on) {
    this.#refusing = on;
  }

  async close() {
    this.cut();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
