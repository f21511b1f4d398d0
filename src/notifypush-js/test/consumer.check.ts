// How a TypeScript application uses notifypush.d.ts. Type-checked by `npm run typecheck`, never run: a declaration
// that such an application cannot use as documented fails the check.
import { closeAction, CloseCodes, NotifyPushClient, type Notification, type WebSocketLike } from '../notifypush.js';

interface OrderShipped {
  orderId: number;
}

// The browser's own implementations, which are the defaults, fit the injectable options.
const client = new NotifyPushClient<OrderShipped>({
  url: '/ws',
  getToken: async ({ reason }) => (reason === 'refresh' ? 'refreshed' : null),
  since: 17,
  backoff: { firstMs: 1000 },
  shared: { name: 'notifypush:u1' },
  WebSocket,
  locks: navigator.locks,
  BroadcastChannel,
  connectivity: window,
  transport: 'auto',
  sseUrl: '/sse',
  EventSource,
  fetch,
});

const off = client.on('notification', async (n: Notification<OrderShipped>) => {
  const orderId: number = n.payload.orderId;
  return orderId;
});
off();
client.on('stopped', ({ code }) => code === CloseCodes.SignedOut);
client.on('disconnected', ({ delayMs, willReconnect }) => (willReconnect ? delayMs ?? 0 : null));
client.on('synced', ({ recovered }) => recovered);
client.on('connected', ({ transport }) => transport === 'sse');
client.on('transport', ({ transport, previous }) => transport !== previous);
const transport: 'websocket' | 'sse' = client.transport;
const position: number | null = client.position;
const action: 'stop' | 'reauth' | 'reconnect' = closeAction(CloseCodes.CredentialExpired);
client.start();
client.stop();

// A smaller WebSocket (a test double) whose handlers take only what the client passes fits as well.
class FakeWebSocket implements WebSocketLike {
  readyState = 1;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  constructor(readonly url: string) {}
  send(_data: string): void {}
  close(_code?: number, _reason?: string): void {}
}
new NotifyPushClient({ WebSocket: FakeWebSocket, connectivity: null, locks: null, BroadcastChannel: null });

export { action, position, transport };

// Web Push: the browser's own service worker container, push manager and Notification fit the helper's options.
import { disableWebPush, enableWebPush, WebPushError } from '../notifypush.js';

async function pushes(getToken: () => Promise<string | null>): Promise<void> {
  try {
    const saved = await enableWebPush({
      serverUrl: 'https://push.example.com',
      getToken,
      serviceWorker: '/notifypush-sw.js',
      serviceWorkerContainer: navigator.serviceWorker,
      Notification,
      fetch,
    });
    const endpoint: string | undefined = saved.endpoint;
    void endpoint;
  } catch (error) {
    if (error instanceof WebPushError && error.code === 'subscribe-failed') {
      const status: number | null = error.status;
      void status;
    }
  }

  const removed: boolean = await disableWebPush({ serverUrl: 'https://push.example.com', getToken });
  void removed;
}
void pushes;
