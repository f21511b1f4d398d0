package main

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"sync"
	"time"

	"github.com/centrifugal/centrifuge"
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

// notificationFrame is NotifyPush's notification frame, field for field; it is the publication's data.
type notificationFrame struct {
	Type      string          `json:"type"`
	Seq       int64           `json:"seq"`
	ID        string          `json:"id"`
	Event     string          `json:"event"`
	Payload   json.RawMessage `json:"payload"`
	CreatedAt string          `json:"createdAt"`
}

// seqCounter numbers each user's notifications in memory on the node that accepts the POST: consistent only while
// every POST for a user goes to the same node, which is how the bench sends (see the README).
//
// A user's stripe stays locked from taking the seq until Publish returned, so a user's publications reach Redis in
// seq order; other users' sends, on other stripes, proceed in parallel and share the broker's pipeline.
type seqCounter struct {
	stripes [256]struct {
		sync.Mutex
		next map[string]int64
	}
}

func newSeqCounter() *seqCounter {
	s := &seqCounter{}
	for i := range s.stripes {
		s.stripes[i].next = map[string]int64{}
	}
	return s
}

func (s *seqCounter) publish(userID string, send func(seq int64) error) (int64, error) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(userID))
	stripe := &s.stripes[h.Sum32()%uint32(len(s.stripes))]
	stripe.Lock()
	defer stripe.Unlock()
	seq := stripe.next[userID] + 1
	if err := send(seq); err != nil {
		return 0, err
	}
	stripe.next[userID] = seq
	return seq, nil
}

type sendHandler struct {
	node   *centrifuge.Node
	apiKey string
	seqs   *seqCounter
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
	sent := make([]sentNotification, len(users))
	errs := make([]error, len(users))
	var wg sync.WaitGroup
	// One goroutine per recipient: Publish waits for Redis, and the broker pipelines concurrent publishes.
	for i, userID := range users {
		wg.Add(1)
		go func(i int, userID string) {
			defer wg.Done()
			id := newID()
			seq, err := s.seqs.publish(userID, func(seq int64) error {
				frame, err := json.Marshal(notificationFrame{Type: "notification", Seq: seq, ID: id, Event: body.Type, Payload: payload, CreatedAt: createdAt})
				if err != nil {
					return err
				}
				_, err = s.node.Publish(userChannel(userID), frame)
				return err
			})
			sent[i], errs[i] = sentNotification{UserID: userID, ID: id, Seq: seq}, err
		}(i, userID)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			http.Error(w, "redis unavailable", http.StatusServiceUnavailable)
			return
		}
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
