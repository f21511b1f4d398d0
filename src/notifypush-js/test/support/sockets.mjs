// A WebSocket that records what each socket sent and received, for assertions about the wire
// (the since of a reconnect, acks, pongs, frames the client dropped as duplicates).
import { TestWebSocket } from './websocket.mjs';

/**
 * @param {{rewriteSend?: (data: string, socket: object) => string}} [options] rewriteSend changes an outgoing
 *   frame, to make the client break the protocol on purpose.
 * @returns {{WebSocket: typeof WebSocket, sockets: Array<{url: URL, sent: object[], received: object[], closeCode: number | null}>}}
 */
export function recordingWebSocket({ rewriteSend } = {}) {
  const sockets = [];
  class RecordingWebSocket extends TestWebSocket {
    #entry;

    constructor(url, protocols) {
      super(url, protocols);
      const entry = { url: new URL(url), sent: [], received: [], closeCode: null };
      this.#entry = entry;
      sockets.push(entry);
      // Listeners of their own: they keep recording after the client has let go of the socket.
      this.addEventListener('message', (event) => entry.received.push(JSON.parse(event.data)));
      this.addEventListener('close', (event) => {
        entry.closeCode = event.code;
      });
    }

    send(data) {
      const frame = rewriteSend ? rewriteSend(data, this.#entry) : data;
      try {
        this.#entry.sent.push(JSON.parse(frame));
      } catch {
        this.#entry.sent.push({ raw: frame });
      }
      super.send(frame);
    }
  }
  return { WebSocket: RecordingWebSocket, sockets };
}

/** Frames of `type` across all sockets (or one), in order. */
export function framesOf(sockets, direction, type) {
  return sockets.flatMap((s) => s[direction].filter((f) => f.type === type));
}
