package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// tokenValidator checks the HS256 user tokens the bench mints: signature, expiry, issuer, audience; the user is sub.
type tokenValidator struct {
	key      []byte
	issuer   string
	audience string
}

type claims struct {
	Sub string          `json:"sub"`
	Iss string          `json:"iss"`
	Aud json.RawMessage `json:"aud"`
	Exp int64           `json:"exp"`
	Nbf int64           `json:"nbf"`
}

var errToken = errors.New("invalid token")

func (v tokenValidator) userID(token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errToken
	}
	header, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return "", errToken
	}
	var h struct {
		Alg string `json:"alg"`
	}
	// Only HS256: a token naming another algorithm (or none) is refused before its signature is looked at.
	if json.Unmarshal(header, &h) != nil || h.Alg != "HS256" {
		return "", errToken
	}
	signature, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "", errToken
	}
	mac := hmac.New(sha256.New, v.key)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(signature, mac.Sum(nil)) {
		return "", errToken
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", errToken
	}
	var c claims
	if json.Unmarshal(body, &c) != nil || c.Sub == "" {
		return "", errToken
	}
	now := time.Now().Unix()
	if c.Exp != 0 && now >= c.Exp || c.Nbf != 0 && now < c.Nbf-60 {
		return "", errToken
	}
	if v.issuer != "" && c.Iss != v.issuer || v.audience != "" && !hasAudience(c.Aud, v.audience) {
		return "", errToken
	}
	return c.Sub, nil
}

// hasAudience accepts aud as a string or an array of strings (RFC 7519 allows both).
func hasAudience(raw json.RawMessage, audience string) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one == audience
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		for _, a := range many {
			if a == audience {
				return true
			}
		}
	}
	return false
}

// bearer is the token of a socket: access_token in the query (browsers cannot set headers on a WebSocket), or an
// Authorization: Bearer header.
func bearer(query, header string) string {
	if query != "" {
		return query
	}
	if strings.HasPrefix(header, "Bearer ") {
		return header[len("Bearer "):]
	}
	return ""
}

func sameKey(given, expected string) bool {
	return subtle.ConstantTimeCompare([]byte(given), []byte(expected)) == 1
}
