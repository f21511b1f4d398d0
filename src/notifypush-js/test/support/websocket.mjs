// The WebSocket the tests hand the client through options.WebSocket, as an application on a runtime without one
// would: the runtime's own when it has one (browsers, Node 22+, Node 20 with --experimental-websocket), else the
// `ws` package from npm (a devDependency), which is what Node 18 — stock Debian 12's nodejs — needs.
import { WebSocket as NodeWebSocket } from 'ws';

/** @type {typeof globalThis.WebSocket} */
export const TestWebSocket = globalThis.WebSocket ?? /** @type {any} */ (NodeWebSocket);

