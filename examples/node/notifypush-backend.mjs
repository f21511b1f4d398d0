// A Node.js backend's two jobs with NotifyPush, with nothing but Node itself (18 or newer: node:crypto and fetch):
// mint the signed-in user's socket token (an HS256 JWT signed with the key NotifyPush verifies), and send that user a
// notification with a service API key. Settings come from the environment:
//
//   NOTIFYPUSH_URL          the server, e.g. http://localhost:5080
//   NOTIFYPUSH_SIGNING_KEY  NotifyPush:Auth:Jwt:SigningKey (at least 32 bytes)
//   NOTIFYPUSH_ISSUER       NotifyPush:Auth:Jwt:Issuer
//   NOTIFYPUSH_AUDIENCE     NotifyPush:Auth:Jwt:Audience
//   NOTIFYPUSH_API_KEY      a service API key holding notifications:send
//
//   node notifypush-backend.mjs alice
//
// prints one JSON line: {"token": "<the user's JWT>", "sent": <the 202 response body>}.
import { createHmac, randomUUID } from 'node:crypto';

/** The user's socket token: `sub` is the user id (NotifyPush:Auth:Jwt:UserIdClaim), valid for `ttlSeconds`. */
export function mintUserToken(userId, { signingKey, issuer, audience, ttlSeconds = 900 }) {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({
    sub: userId,
    iss: issuer,
    aud: audience,
    iat: now,
    nbf: now,
    exp: now + ttlSeconds,
  })}`;
  const signature = createHmac('sha256', signingKey).update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}

/**
 * POST /api/notifications with the service API key. The Idempotency-Key makes a retry of the same send safe: the
 * server answers it with the first response (Idempotent-Replayed: true) instead of a second notification.
 */
export async function sendNotification(baseUrl, apiKey, { userId, type, payload, idempotencyKey = randomUUID() }) {
  const response = await fetch(new URL('/api/notifications', baseUrl), {
    method: 'POST',
    headers: {
      Authorization: `ApiKey ${apiKey}`,
      'Content-Type': 'application/json',
      'Idempotency-Key': idempotencyKey,
    },
    body: JSON.stringify({ userId, type, payload }),
  });
  const body = await response.json();
  if (response.status !== 202) {
    // A problem+json body: title and detail say what was wrong; 429 and 503 carry Retry-After.
    throw new Error(`NotifyPush answered ${response.status}: ${body.title ?? ''} ${body.detail ?? ''}`.trim());
  }
  return body;
}

const userId = process.argv[2];
if (!userId) {
  console.error('usage: node notifypush-backend.mjs <userId>');
  process.exit(2);
}
const setting = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return value;
};
const token = mintUserToken(userId, {
  signingKey: setting('NOTIFYPUSH_SIGNING_KEY'),
  issuer: setting('NOTIFYPUSH_ISSUER'),
  audience: setting('NOTIFYPUSH_AUDIENCE'),
});
const sent = await sendNotification(setting('NOTIFYPUSH_URL'), setting('NOTIFYPUSH_API_KEY'), {
  userId,
  type: 'example.greeting',
  payload: { from: 'node' },
});
console.log(JSON.stringify({ token, sent }));
