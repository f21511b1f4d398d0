// The operators' view. Everything it shows comes from the service API with the credential the operator enters; the
// page itself holds nothing. The credential stays in this tab's sessionStorage.
const $ = (id) => document.getElementById(id);
const KEY_STORAGE = 'notifypush.admin.credential';
const POLL_MS = 2000;
const HISTORY_ROWS = 20;

let credential = sessionStorage.getItem(KEY_STORAGE) ?? '';
let pollTimer = null;
let previousTotals = null;

// A service JWT has three base64url parts; anything else is an API key.
function authorization(value) {
  return /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/.test(value) ? 'Bearer ' + value : 'ApiKey ' + value;
}

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { ...(options.headers ?? {}), Authorization: authorization(credential) },
    cache: 'no-store',
  });
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const detail = body?.detail ?? body?.title ?? response.statusText;
    const error = new Error(`${response.status}: ${detail}`);
    error.status = response.status;
    throw error;
  }

  return { status: response.status, body };
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : `${m}m ${s % 60}s`;
}

function rate(current, previous, seconds) {
  return previous === undefined || seconds <= 0 ? '–' : Math.max(0, (current - previous) / seconds).toFixed(1);
}

async function refreshReplicas() {
  let answer;
  try {
    answer = (await api('/api/admin/replicas')).body;
  } catch (error) {
    setAuthStatus('error', error.message);
    return;
  }

  setAuthStatus('ok', 'Connected.');
  const replicas = answer.replicas;
  const tbody = $('replicas').tBodies[0];
  tbody.replaceChildren(...replicas.map((r) => {
    const row = document.createElement('tr');
    row.dataset.replicaId = r.replicaId;
    row.append(
      cell(r.host),
      cell(r.replicaId.slice(0, 8)),
      cell(r.version),
      cell(duration((Date.parse(r.reportedAt) - Date.parse(r.startedAt)) / 1000)),
      // Sockets counts the event streams (the Server-Sent Events fallback) too; they are named when there are any.
      cell(r.eventStreams ? `${r.sockets} (${r.eventStreams} SSE)` : String(r.sockets)),
      cell(String(r.users)),
      cell(r.backplaneConnected ? 'connected' : `down (${r.backplaneState})`, r.backplaneConnected ? 'ok' : 'bad'),
      cell(r.draining ? `${r.store}, draining` : r.store, r.store === 'ok' && !r.draining ? 'ok' : 'bad'),
      cell(String(r.notificationsAccepted)),
      cell(String(r.notificationsDelivered)));
    return row;
  }));

  const now = performance.now();
  const totals = {
    at: now,
    accepted: replicas.reduce((sum, r) => sum + r.notificationsAccepted, 0),
    delivered: replicas.reduce((sum, r) => sum + r.notificationsDelivered, 0),
  };
  const elapsed = previousTotals ? (now - previousTotals.at) / 1000 : 0;
  $('replica-count').textContent = String(replicas.length);
  $('socket-count').textContent = String(replicas.reduce((sum, r) => sum + r.sockets, 0));
  $('send-rate').textContent = rate(totals.accepted, previousTotals?.accepted, elapsed);
  $('delivery-rate').textContent = rate(totals.delivered, previousTotals?.delivered, elapsed);
  previousTotals = totals;

  const note = $('replicas-note');
  note.hidden = answer.complete;
  note.textContent = answer.complete ? '' : 'Only the replica that answered is shown: it cannot reach Redis, where the others report.';
}

function setAuthStatus(status, text) {
  const output = $('auth-status');
  output.dataset.status = status;
  output.textContent = text;
}

function startPolling() {
  clearInterval(pollTimer);
  previousTotals = null;
  refreshReplicas();
  pollTimer = setInterval(refreshReplicas, POLL_MS);
}

async function lookUp(userId) {
  const result = $('lookup-result');
  result.dataset.status = 'loading';
  result.textContent = '';
  const path = encodeURIComponent(userId);
  try {
    const presence = (await api(`/api/users/${path}/presence`)).body;
    const state = (await api(`/api/users/${path}/notifications?limit=1`)).body;
    const after = Math.max(0, state.lastSeq - HISTORY_ROWS);
    const history = (await api(`/api/users/${path}/notifications?after=${after}&limit=${HISTORY_ROWS}`)).body;
    const reach = (await api(`/api/admin/users/${path}`)).body;
    showUser(userId, presence, history, reach);
    result.dataset.status = 'ok';
  } catch (error) {
    $('user').hidden = true;
    result.dataset.status = 'error';
    result.textContent = error.message;
  }
}

function showUser(userId, presence, history, reach) {
  const user = $('user');
  user.dataset.userId = userId;
  $('user-online').textContent = presence.online ? 'online' : 'offline';
  $('user-online').className = presence.online ? 'ok' : 'muted';
  $('user-sockets').textContent = String(presence.sockets);
  $('user-replicas').textContent = String(presence.replicas);
  $('user-last-seen').textContent = presence.lastSeenAt ? new Date(presence.lastSeenAt).toLocaleString() : 'unknown';
  $('user-last-seq').textContent = String(history.lastSeq);
  $('user-acked-seq').textContent = String(history.ackedSeq);
  $('user-pruned-seq').textContent = String(history.prunedSeq);
  $('user-transports').textContent = `${reach.webSockets} WebSocket, ${reach.eventStreams} SSE`;
  $('user-push-count').textContent = String(reach.pushSubscriptions.length);
  $('push-subscriptions').tBodies[0].replaceChildren(...reach.pushSubscriptions.map((s) => {
    const row = document.createElement('tr');
    row.append(cell(s.host), cell(new Date(s.createdAt).toLocaleString()));
    return row;
  }));
  $('push-subscriptions').hidden = reach.pushSubscriptions.length === 0;
  $('history').tBodies[0].replaceChildren(...history.notifications.slice().reverse().map((n) => {
    const row = document.createElement('tr');
    row.dataset.seq = String(n.seq);
    row.dataset.delivered = String(n.delivered);
    row.append(
      cell(String(n.seq)),
      cell(n.type),
      cell(new Date(n.createdAt).toLocaleString()),
      cell(n.delivered ? 'delivered' : 'pending', n.delivered ? 'ok' : 'muted'),
      cell(JSON.stringify(n.payload), 'payload'));
    return row;
  }));
  $('signout-result').dataset.status = 'none';
  $('signout-result').textContent = '';
  user.hidden = false;
}

async function signOut() {
  const userId = $('user').dataset.userId;
  const result = $('signout-result');
  $('signout').disabled = true;
  try {
    const { status } = await api(`/api/users/${encodeURIComponent(userId)}/disconnect`, { method: 'POST' });
    result.dataset.status = String(status);
    result.textContent = `Signed out: every socket of ${userId} was closed with 4003.`;
  } catch (error) {
    result.dataset.status = String(error.status ?? 'error');
    result.textContent = error.message;
  } finally {
    $('signout').disabled = false;
  }
}

$('auth').addEventListener('submit', (event) => {
  event.preventDefault();
  credential = $('api-key').value.trim();
  sessionStorage.setItem(KEY_STORAGE, credential);
  startPolling();
});

$('lookup').addEventListener('submit', (event) => {
  event.preventDefault();
  lookUp($('lookup-user').value.trim());
});

$('signout').addEventListener('click', signOut);

if (credential) {
  startPolling();
}
