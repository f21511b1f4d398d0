// The NotifyPush demo page (Development only): signs in with a Development token, receives a user's notifications
// through notifypush.js and sends new ones through POST /dev/send (Development only; the page holds no service key).
//
// Query options, also used by the browser tests:
//   user=<id>        sign in as that user at once (else the last user signed in on this browser, if any)
//   lifetime=<s>     lifetime of each Development token, in seconds (default: the server's, 900 s)
//   shared=1         share one socket between the tabs of this browser signed in as the same user
//   backoff=<ms>     first reconnect backoff (default: the client's); backoffMax=<ms> its cap
//
// The shown list and the position are kept in sessionStorage per user: a reload shows the same list and resumes
// after the last notification shown, so whatever arrived meanwhile is replayed.
import { NotifyPushClient } from '/notifypush.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const MAX_ITEMS = 500;
const MAX_LOG_LINES = 100;
const LAST_USER_KEY = 'notifypush-demo-user';

let client = null;
let session = null;          // { userId, lifetime, shared, position, items: Map<seq, item> }
let offClient = [];
const counters = { connects: 0, tokens: 0, duplicates: 0, outOfOrder: 0 };

function positiveInt(value) {
  const number = Number(value);
  return value !== null && value !== '' && Number.isInteger(number) && number > 0 ? number : null;
}

function storageKey(userId) {
  return 'notifypush-demo:' + userId;
}

function loadStored(userId) {
  try {
    const stored = JSON.parse(sessionStorage.getItem(storageKey(userId)) ?? 'null');
    if (stored && Array.isArray(stored.items)) {
      return { position: Number.isInteger(stored.position) ? stored.position : null, items: stored.items };
    }
  } catch {
    // A corrupt entry is dropped: the server replays what this user has not acknowledged.
  }
  return { position: null, items: [] };
}

function save() {
  if (!session) return;
  const items = [...session.items.values()].slice(-MAX_ITEMS);
  sessionStorage.setItem(storageKey(session.userId), JSON.stringify({ position: session.position, items }));
}

function log(text) {
  const line = document.createElement('li');
  const time = document.createElement('time');
  const now = new Date();
  time.dateTime = now.toISOString();
  time.textContent = now.toLocaleTimeString();
  line.append(time, ' ', text);
  $('log').prepend(line);
  while ($('log').childElementCount > MAX_LOG_LINES) $('log').lastElementChild.remove();
}

function setText(id, value) {
  $(id).textContent = value ?? '—';
}

function showCounters() {
  setText('connects', counters.connects);
  setText('tokens', counters.tokens);
  setText('duplicates', counters.duplicates);
  setText('out-of-order', counters.outOfOrder);
  $('duplicates').parentElement.classList.toggle('bad', counters.duplicates + counters.outOfOrder > 0);
}

function showState() {
  const state = client?.state ?? 'idle';
  $('state').textContent = state;
  $('state').dataset.state = state;
  setText('role', client ? client.role : null);
  // A follower's connection is the leader tab's socket: its connects are not this tab's.
  const follower = client?.role === 'follower';
  $('connects-own').hidden = follower;
  $('connects-shared').hidden = !follower;
  setText('position', client?.position ?? session?.position);
  $('disconnect').disabled = !client || state === 'stopped';
}

function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

function renderItem(item) {
  const li = document.createElement('li');
  li.dataset.seq = item.seq;
  li.dataset.id = item.id;
  if (item.replayed) li.dataset.replayed = '';

  const head = document.createElement('div');
  head.className = 'item-head';
  const seq = document.createElement('span');
  seq.className = 'seq';
  seq.textContent = '#' + item.seq;
  const event = document.createElement('strong');
  event.className = 'event';
  event.textContent = item.event;
  const tag = document.createElement('span');
  tag.className = 'tag ' + (item.replayed ? 'replayed' : 'live');
  tag.textContent = item.replayed ? 'replayed' : 'live';
  const time = document.createElement('time');
  time.dateTime = item.createdAt;
  time.textContent = formatTime(item.createdAt);
  head.append(seq, event, tag, time);

  const payload = document.createElement('pre');
  payload.className = 'payload';
  payload.textContent = JSON.stringify(item.payload, null, 2);
  li.append(head, payload);
  return li;
}

// Keeps the list in seq order whatever order items come in; the checks count what the client should never do.
function insertItem(item) {
  const list = $('list');
  let before = null;
  for (let node = list.lastElementChild; node; node = node.previousElementSibling) {
    if (Number(node.dataset.seq) < item.seq) break;
    before = node;
  }
  list.insertBefore(renderItem(item), before);
  while (list.childElementCount > MAX_ITEMS) list.firstElementChild.remove();
  showCount();
}

function showCount() {
  setText('count', $('list').childElementCount);
  $('empty').hidden = $('list').childElementCount > 0;
}

function onNotification(n) {
  if (session.items.has(n.seq)) {
    counters.duplicates++;
    showCounters();
    log(`duplicate notification #${n.seq} ignored`);
    return;
  }
  // The client hands over each seq once, in order: anything at or below the position came out of order.
  if (session.position !== null && n.seq <= session.position) {
    counters.outOfOrder++;
    showCounters();
    log(`notification #${n.seq} arrived after #${session.position}`);
  }
  const item = { seq: n.seq, id: n.id, event: n.event, payload: n.payload, createdAt: n.createdAt, replayed: !!n.replayed };
  session.items.set(item.seq, item);
  // The page keeps the position itself: the handler runs before the client moves its own, and a reload in between
  // must not resume before an item the stored list already shows.
  session.position = Math.max(session.position ?? 0, item.seq);
  insertItem(item);
  save();
  // The client moves its position once this handler has returned.
  setTimeout(showState, 0);
}

async function getToken() {
  const body = { userId: session.userId };
  if (session.lifetime) body.lifetimeSeconds = session.lifetime;
  const response = await fetch('/dev/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST /dev/token answered ${response.status}`);
  const token = await response.json();
  counters.tokens++;
  showCounters();
  $('token-expires').dataset.expiresAt = token.expiresAt;
  setText('token-expires', 'expires ' + new Date(token.expiresAt).toLocaleTimeString());
  if (counters.tokens > 1) log('token refreshed');
  return token.token;
}

function backoffOption() {
  const firstMs = positiveInt(params.get('backoff'));
  if (!firstMs) return undefined;
  return { firstMs, maxMs: positiveInt(params.get('backoffMax')) ?? Math.max(firstMs * 8, 1000) };
}

function stopClient() {
  for (const off of offClient) off();
  offClient = [];
  client?.stop();
  client = null;
}

function signIn(userId, lifetime, shared) {
  stopClient();
  localStorage.setItem(LAST_USER_KEY, userId);
  const stored = loadStored(userId);
  session = { userId, lifetime, shared, position: stored.position, items: new Map(stored.items.map((i) => [i.seq, i])) };
  Object.assign(counters, { connects: 0, tokens: 0, duplicates: 0, outOfOrder: 0 });

  $('list').replaceChildren();
  for (const item of session.items.values()) insertItem(item);
  showCount();
  setText('signed-in-user', userId);
  setText('connection-id', null);
  setText('transport', null);
  setText('synced-seq', null);
  setText('recovered', null);
  setText('last-close', null);
  if (!$('send-to').value || $('send-to').dataset.auto === 'true') {
    $('send-to').value = userId;
    $('send-to').dataset.auto = 'true';
  }

  // shared: true groups the tabs by the user their token is for: tabs signed in as someone else never share it.
  const options = { url: '/ws', getToken, shared };
  if (session.position !== null) options.since = session.position;
  const backoff = backoffOption();
  if (backoff) options.backoff = backoff;
  client = new NotifyPushClient(options);
  window.notifypushDemo = { client };

  offClient = [
    client.on('notification', onNotification),
    client.on('state', showState),
    client.on('role', showState),
    client.on('connected', (e) => {
      const own = client.role !== 'follower';
      if (own) counters.connects++;
      showCounters();
      setText('connection-id', e.connectionId);
      $('connection-id').dataset.connectionId = e.connectionId;
      // 'sse' when the WebSocket could not open (a proxy refusing upgrades) and the client fell back to the event stream.
      setText('transport', e.transport === 'sse' ? 'Server-Sent Events (fallback)' : 'WebSocket');
      $('transport').dataset.transport = e.transport;
      log(`${own ? 'connected' : 'the leader tab connected'} as ${e.userId}, connection ${e.connectionId} over ${e.transport}`);
      showState();
    }),
    client.on('synced', (e) => {
      // synced may move the position past seqs the store no longer has; keep that for the next reload.
      if (client.position !== null && client.position !== session.position) {
        session.position = client.position;
        save();
      }
      setText('synced-seq', e.seq);
      $('synced-seq').dataset.seq = e.seq;
      setText('recovered', e.recovered ? 'recovered' : 'not recovered: older notifications are gone');
      $('recovered').dataset.recovered = String(e.recovered);
      log(`synced at seq ${e.seq}` + (e.recovered ? '' : ' (some older notifications are no longer available)'));
      showState();
    }),
    client.on('disconnected', (e) => {
      setText('last-close', `${e.code}${e.reason ? ' ' + e.reason : ''}`);
      $('last-close').dataset.code = e.code;
      log(`disconnected: ${e.code} ${e.reason ?? ''}` + (e.willReconnect ? `, reconnecting in ${Math.round(e.delayMs)} ms` : ''));
      showState();
    }),
    client.on('stopped', (e) => {
      log(e.code === 4003 ? 'signed out by the server (4003)' : `stopped: ${e.code} ${e.reason ?? ''}`);
      showState();
    }),
    client.on('transport', (e) => log(`the WebSocket cannot open here: falling back from ${e.previous} to ${e.transport}`)),
    client.on('error', (e) => log('error: ' + (e.error?.message ?? e.error))),
  ];
  client.start();
  showCounters();
  showState();
  log(`signed in as ${userId}` + (shared ? ' (shared socket)' : ''));
}

async function send(event) {
  event.preventDefault();
  const result = $('send-result');
  let payload;
  try {
    payload = JSON.parse($('send-payload').value);
  } catch {
    result.textContent = 'The payload is not valid JSON.';
    result.dataset.status = 'invalid';
    return;
  }
  const userIds = $('send-to').value.split(',').map((s) => s.trim()).filter(Boolean);
  const body = userIds.length === 1
    ? { userId: userIds[0], type: $('send-type').value, payload }
    : { userIds, type: $('send-type').value, payload };
  $('send').disabled = true;
  try {
    // A Development-only endpoint sends as the Development service: no service key in the browser.
    const response = await fetch('/dev/send', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Idempotency-Key': crypto.randomUUID(),
      },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    result.dataset.status = String(response.status);
    result.textContent = response.ok
      ? `${response.status}: ` + answer.notifications.map((n) => `${n.userId} #${n.seq}`).join(', ')
      : `${response.status}: ${answer.title ?? 'failed'}` + (answer.detail ? ` (${answer.detail})` : '');
  } catch (error) {
    result.dataset.status = 'error';
    result.textContent = 'Not sent: ' + error.message;
  } finally {
    $('send').disabled = false;
  }
}

$('signin-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const userId = $('user').value.trim();
  if (userId) signIn(userId, positiveInt($('lifetime').value), $('shared').checked);
});

$('disconnect').addEventListener('click', () => {
  client?.stop();
  log('disconnected by you');
  showState();
});

$('clear').addEventListener('click', () => {
  if (!session) return;
  session.items.clear();
  $('list').replaceChildren();
  showCount();
  save();
});

$('send-to').addEventListener('input', () => { $('send-to').dataset.auto = 'false'; });
$('send-form').addEventListener('submit', send);

const initialUser = params.get('user') ?? localStorage.getItem(LAST_USER_KEY);
$('lifetime').value = positiveInt(params.get('lifetime')) ?? '';
$('shared').checked = params.get('shared') === '1';
showCount();
showState();
if (initialUser) {
  $('user').value = initialUser;
  signIn(initialUser, positiveInt($('lifetime').value), $('shared').checked);
}
