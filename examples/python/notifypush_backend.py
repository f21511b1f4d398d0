"""A Python backend's two jobs with NotifyPush, with the standard library only (Python 3.8 or newer).

Mint the signed-in user's socket token (an HS256 JWT signed with the key NotifyPush verifies), and send that user a
notification with a service API key. Settings come from the environment:

  NOTIFYPUSH_URL          the server, e.g. http://localhost:5080
  NOTIFYPUSH_SIGNING_KEY  NotifyPush:Auth:Jwt:SigningKey (at least 32 bytes)
  NOTIFYPUSH_ISSUER       NotifyPush:Auth:Jwt:Issuer
  NOTIFYPUSH_AUDIENCE     NotifyPush:Auth:Jwt:Audience
  NOTIFYPUSH_API_KEY      a service API key holding notifications:send

  python3 notifypush_backend.py alice

prints one JSON line: {"token": "<the user's JWT>", "sent": <the 202 response body>}.
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def mint_user_token(user_id: str, signing_key: str, issuer: str, audience: str, ttl_seconds: int = 900) -> str:
    """The user's socket token: `sub` is the user id (NotifyPush:Auth:Jwt:UserIdClaim), valid for ttl_seconds."""
    now = int(time.time())
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {"sub": user_id, "iss": issuer, "aud": audience, "iat": now, "nbf": now, "exp": now + ttl_seconds}
    unsigned = _b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + \
        _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(signing_key.encode(), unsigned.encode("ascii"), hashlib.sha256).digest()
    return unsigned + "." + _b64url(signature)


def send_notification(base_url: str, api_key: str, user_id: str, type_: str, payload, idempotency_key=None) -> dict:
    """POST /api/notifications with the service API key.

    The Idempotency-Key makes a retry of the same send safe: the server answers it with the first response
    (Idempotent-Replayed: true) instead of a second notification.
    """
    request = urllib.request.Request(
        base_url.rstrip("/") + "/api/notifications",
        data=json.dumps({"userId": user_id, "type": type_, "payload": payload}).encode(),
        method="POST",
        headers={
            "Authorization": "ApiKey " + api_key,
            "Content-Type": "application/json",
            "Idempotency-Key": idempotency_key or str(uuid.uuid4()),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        # A problem+json body: title and detail say what was wrong; 429 and 503 carry Retry-After.
        problem = json.load(error)
        raise RuntimeError(f"NotifyPush answered {error.code}: {problem.get('title', '')} {problem.get('detail', '')}") from None


def _setting(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        sys.exit(f"{name} is not set")
    return value


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python3 notifypush_backend.py <userId>")
    user_id = sys.argv[1]
    token = mint_user_token(user_id, _setting("NOTIFYPUSH_SIGNING_KEY"), _setting("NOTIFYPUSH_ISSUER"),
                            _setting("NOTIFYPUSH_AUDIENCE"))
    sent = send_notification(_setting("NOTIFYPUSH_URL"), _setting("NOTIFYPUSH_API_KEY"), user_id,
                             "example.greeting", {"from": "python"})
    print(json.dumps({"token": token, "sent": sent}))


if __name__ == "__main__":
    main()
