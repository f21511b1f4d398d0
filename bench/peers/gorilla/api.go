package main

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// sendRequest is NotifyPush's POST /api/notifications body: userId or userIds, type, payload (ttlSeconds is
// accepted and ignored: nothing is stored to expire).
type sendRequest struct {
	UserID  string          `json:"userId"`
	UserIDs []string        `json:"userIds"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

type sentNotification struct {
	UserID string `json:"userId"`
	ID     string `json:"id"`
	Seq    int64  `json:"seq"`
}

type notificationFrame struct {
	Type      string          `json:"type"`
	Seq       int64           `json:"seq"`
	ID        string          `json:"id"`
	Event     string          `json:"event"`
	Payload   json.RawMessage `json:"payload"`
	CreatedAt string          `json:"createdAt"`
}

type sendHandler struct {
	hub       *hub
	publisher *publisher
	apiKey    string
}

func (s *sendHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	header := r.Header.Get("Authorization")
	if len(header) < len("ApiKey ") || header[:len("ApiKey ")] != "ApiKey " || !sameKey(header[len("ApiKey "):], s.apiKey) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	var body sendRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil || body.Type == "" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	users := body.UserIDs
	if body.UserID != "" {
		users = []string{body.UserID}
	}
	if len(users) == 0 {
		http.Error(w, "userId or userIds is required", http.StatusBadRequest)
		return
	}
	payload := body.Payload
	if len(payload) == 0 {
		payload = json.RawMessage("null")
	}

	createdAt := time.Now().UTC().Format(time.RFC3339Nano)
	ids := make([]string, len(users))
	for i := range ids {
		ids[i] = newID()
	}
	seqs, err := s.publisher.publish(users, s.hub.channel, func(i int, seq int64) ([]byte, error) {
		return marshalFrame(seq, ids[i], body.Type, payload, createdAt)
	})
	if err != nil {
		http.Error(w, "redis unavailable", http.StatusServiceUnavailable)
		return
	}
	sent := make([]sentNotification, len(users))
	for i, userID := range users {
		sent[i] = sentNotification{UserID: userID, ID: ids[i], Seq: seqs[i]}
	}

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(struct {
		Notifications []sentNotification `json:"notifications"`
	}{sent})
}

// newID is a random (version 4) UUID, the shape of NotifyPush's ids.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
