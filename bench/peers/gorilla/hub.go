package main

import (
	"log"
	"sync"

	"github.com/gomodule/redigo/redis"
)

// hub indexes this node's sockets by user and keeps one Redis subscription per user with sockets here,
// reference-counted: the first socket of a user subscribes to its channel, the last one unsubscribes.
type hub struct {
	prefix string
	pubsub redis.PubSubConn
	// writeMu serialises SUBSCRIBE/UNSUBSCRIBE: redigo allows one writer and one reader on a connection at a time.
	writeMu sync.Mutex

	mu    sync.Mutex
	users map[string]*userSockets
	count int
}

type userSockets struct {
	sockets map[*client]struct{}
	// ready is closed when Redis confirmed the subscription; synced is sent only after it, so a notification
	// published after a client saw synced always reaches it.
	ready  chan struct{}
	closed bool
}

func newHub(pubsub redis.PubSubConn, prefix string) *hub {
	return &hub{prefix: prefix, pubsub: pubsub, users: map[string]*userSockets{}}
}

// channel is the literal Redis channel of a user (SUBSCRIBE, not PSUBSCRIBE: a user id of * is no pattern).
func (h *hub) channel(userID string) string { return h.prefix + ":user:" + userID }

// add registers c and returns a channel closed once its user's subscription is confirmed.
func (h *hub) add(c *client) <-chan struct{} {
	h.mu.Lock()
	entry, ok := h.users[c.userID]
	if !ok {
		entry = &userSockets{sockets: map[*client]struct{}{}, ready: make(chan struct{})}
		h.users[c.userID] = entry
	}
	entry.sockets[c] = struct{}{}
	h.count++
	h.mu.Unlock()
	if !ok {
		h.command(func() error { return h.pubsub.Subscribe(h.channel(c.userID)) })
	}
	return entry.ready
}

func (h *hub) remove(c *client) {
	h.mu.Lock()
	entry, ok := h.users[c.userID]
	if !ok {
		h.mu.Unlock()
		return
	}
	if _, present := entry.sockets[c]; !present {
		h.mu.Unlock()
		return
	}
	delete(entry.sockets, c)
	h.count--
	last := len(entry.sockets) == 0
	if last {
		delete(h.users, c.userID)
	}
	h.mu.Unlock()
	if last {
		h.command(func() error { return h.pubsub.Unsubscribe(h.channel(c.userID)) })
	}
}

func (h *hub) command(send func() error) {
	h.writeMu.Lock()
	defer h.writeMu.Unlock()
	if err := send(); err != nil {
		log.Fatalf("redis subscriber: %v", err)
	}
}

func (h *hub) connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.count
}

// run reads the subscriber connection: confirmations open the gate of a user's sockets, messages go to them.
func (h *hub) run() {
	prefixLength := len(h.prefix) + len(":user:")
	for {
		switch m := h.pubsub.Receive().(type) {
		case redis.Message:
			h.deliver(m.Channel[prefixLength:], m.Data)
		case redis.Subscription:
			if m.Kind == "subscribe" {
				h.mu.Lock()
				if entry, ok := h.users[m.Channel[prefixLength:]]; ok && !entry.closed {
					entry.closed = true
					close(entry.ready)
				}
				h.mu.Unlock()
			}
		case error:
			log.Fatalf("redis subscriber: %v", m)
		}
	}
}

// deliver queues the frame on every socket of the user; it never waits for a socket.
func (h *hub) deliver(userID string, frame []byte) {
	h.mu.Lock()
	entry, ok := h.users[userID]
	if !ok {
		h.mu.Unlock()
		return
	}
	targets := make([]*client, 0, len(entry.sockets))
	for c := range entry.sockets {
		targets = append(targets, c)
	}
	h.mu.Unlock()
	for _, c := range targets {
		c.enqueue(frame)
	}
}
