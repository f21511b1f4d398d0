// A Go backend's two jobs with NotifyPush, with the standard library only (Go 1.19 or newer): mint the signed-in
// user's socket token (an HS256 JWT signed with the key NotifyPush verifies), and send that user a notification with
// a service API key. Settings come from the environment:
//
//	NOTIFYPUSH_URL          the server, e.g. http://localhost:5080
//	NOTIFYPUSH_SIGNING_KEY  NotifyPush:Auth:Jwt:SigningKey (at least 32 bytes)
//	NOTIFYPUSH_ISSUER       NotifyPush:Auth:Jwt:Issuer
//	NOTIFYPUSH_AUDIENCE     NotifyPush:Auth:Jwt:Audience
//	NOTIFYPUSH_API_KEY      a service API key holding notifications:send
//
//	go run . alice
//
// prints one JSON line: {"token": "<the user's JWT>", "sent": <the 202 response body>}.
package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

// MintUserToken returns the user's socket token: sub is the user id (NotifyPush:Auth:Jwt:UserIdClaim), valid for ttl.
func MintUserToken(userID, signingKey, issuer, audience string, ttl time.Duration) (string, error) {
	now := time.Now().Unix()
	header, err := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT"})
	if err != nil {
		return "", err
	}
	claims, err := json.Marshal(map[string]any{
		"sub": userID, "iss": issuer, "aud": audience,
		"iat": now, "nbf": now, "exp": now + int64(ttl/time.Second),
	})
	if err != nil {
		return "", err
	}
	encode := base64.RawURLEncoding.EncodeToString
	unsigned := encode(header) + "." + encode(claims)
	mac := hmac.New(sha256.New, []byte(signingKey))
	mac.Write([]byte(unsigned))
	return unsigned + "." + encode(mac.Sum(nil)), nil
}

// SendNotification posts to /api/notifications with the service API key. The Idempotency-Key makes a retry of the
// same send safe: the server answers it with the first response (Idempotent-Replayed: true) instead of a second
// notification.
func SendNotification(baseURL, apiKey, userID, typ string, payload any, idempotencyKey string) (json.RawMessage, error) {
	body, err := json.Marshal(map[string]any{"userId": userID, "type": typ, "payload": payload})
	if err != nil {
		return nil, err
	}
	request, err := http.NewRequest(http.MethodPost, strings.TrimRight(baseURL, "/")+"/api/notifications", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	request.Header.Set("Authorization", "ApiKey "+apiKey)
	request.Header.Set("Content-Type", "application/json")
	request.Header.Set("Idempotency-Key", idempotencyKey)
	client := &http.Client{Timeout: 30 * time.Second}
	response, err := client.Do(request)
	if err != nil {
		return nil, err
	}
	defer response.Body.Close()
	var answer json.RawMessage
	if err := json.NewDecoder(response.Body).Decode(&answer); err != nil {
		return nil, fmt.Errorf("NotifyPush answered %d without JSON: %w", response.StatusCode, err)
	}
	if response.StatusCode != http.StatusAccepted {
		// A problem+json body: title and detail say what was wrong; 429 and 503 carry Retry-After.
		return nil, fmt.Errorf("NotifyPush answered %d: %s", response.StatusCode, answer)
	}
	return answer, nil
}

func setting(name string) string {
	value := os.Getenv(name)
	if value == "" {
		fmt.Fprintf(os.Stderr, "%s is not set\n", name)
		os.Exit(2)
	}
	return value
}

func newKey() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run . <userId>")
		os.Exit(2)
	}
	userID := os.Args[1]
	token, err := MintUserToken(userID, setting("NOTIFYPUSH_SIGNING_KEY"), setting("NOTIFYPUSH_ISSUER"), setting("NOTIFYPUSH_AUDIENCE"), 15*time.Minute)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sent, err := SendNotification(setting("NOTIFYPUSH_URL"), setting("NOTIFYPUSH_API_KEY"), userID, "example.greeting", map[string]string{"from": "go"}, newKey())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	line, err := json.Marshal(map[string]any{"token": token, "sent": sent})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(string(line))
}
