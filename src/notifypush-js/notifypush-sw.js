// notifypush-sw.js: the service worker of NotifyPush's Web Push. Serve it from the application's own origin (a service
// worker only controls pages of its origin) and let enableWebPush register it. On `push` it shows the notification
// the server sent ({"type","seq","id","title","body","url"}), tagged with the notification's id so that a push sent
// twice (the server's at-least-once edge) replaces the first instead of adding a second. On `notificationclick` it
// focuses a window already at the URL or opens one; with an `ack` URL in its own query (enableWebPush's ackOnClick, a
// cookie credential only: the worker holds no token) it first acknowledges the clicked seq there.

(function () {
  'use strict';

  // A classic script (module service workers are not everywhere yet), checked against JSDoc like the client; the
  // worker's globals (ServiceWorkerGlobalScope) are outside the DOM library the check uses, hence `any`.
  /** @type {any} */
  var worker = self;
  var ackUrl = new URL(worker.location.href).searchParams.get('ack');

  /**
   * @param {any} data
   * @returns {any}
   */
  function readMessage(data) {
    if (!data) {
      return {};
    }

    try {
      return data.json() || {};
    } catch (error) {
      return { body: data.text() };
    }
  }

  worker.addEventListener('push', /** @param {any} event */ function (event) {
    var message = readMessage(event.data);
    var title = typeof message.title === 'string' && message.title ? message.title : 'New notification';
    event.waitUntil(worker.registration.showNotification(title, {
      body: typeof message.body === 'string' ? message.body : '',
      tag: typeof message.id === 'string' ? message.id : undefined,
      data: { url: message.url || null, seq: message.seq, id: message.id, type: message.type },
    }));
  });

  worker.addEventListener('notificationclick', /** @param {any} event */ function (event) {
    var data = event.notification.data || {};
    event.notification.close();
    event.waitUntil((async function () {
      if (ackUrl && typeof data.seq === 'number') {
        try {
          await fetch(ackUrl, {
            method: 'POST',
            credentials: 'include',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ seq: data.seq }),
          });
        } catch (error) {
          // The page the click opens connects and acknowledges what it shows; a lost ack costs nothing more.
        }
      }

      if (!data.url) {
        return;
      }

      var target = new URL(data.url, worker.location.origin).href;
      var windows = await worker.clients.matchAll({ type: 'window', includeUncontrolled: true });
      for (var i = 0; i < windows.length; i++) {
        if (windows[i].url === target && typeof windows[i].focus === 'function') {
          return windows[i].focus();
        }
      }

      return worker.clients.openWindow(target);
    })());
  });
})();
