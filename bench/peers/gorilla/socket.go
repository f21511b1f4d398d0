package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

const (
	writeWait  = 10 * time.Second
	pongWait   = 60 * time.Second
	pingPeriod = 25 * time.Second
	// sendQueue is the frames a socket may have waiting; a full queue is a slow consumer, closed with 4008.
	sendQueue = 256
)

var upgrader = websocket.Upgrader{
	ReadBufferSize:  512,
	WriteBufferSize: 1024,
	// Same-origin checks are the deployment's business; the bench connects without an Origin header.
	CheckOrigin: func(r *http.Request) bool { return true },
}

type socketHandler struct {
	hub    *hub
	tokens tokenValidator
}

// client is one socket: only writePump writes to it (gorilla/websocket allows one concurrent writer).
type client struct {
	userID    string
	conn      *websocket.Conn
	send      chan []byte
	closeOnce sync.Once
	done      chan struct{}
}

func (s *socketHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	userID, err := s.tokens.userID(bearer(r.URL.Query().Get("access_token"), r.Header.Get("Authorization")))
	if err != nil {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &client{userID: userID, conn: conn, send: make(chan []byte, sendQueue), done: make(chan struct{})}
	c.send <- []byte(fmt.Sprintf(`{"type":"welcome","userId":%q,"connectionId":%q,"heartbeatSeconds":%d}`, userID, connectionID(), int(pingPeriod/time.Second)))
	ready := s.hub.add(c)
	go c.writePump(s.hub)
	go func() {
		// No store, no replay: synced only says the live subscription is in place.
		select {
		case <-ready:
			c.enqueue([]byte(`{"type":"synced","seq":0,"recovered":false}`))
		case <-c.done:
		}
	}()
	c.readPump(s.hub)
}

// enqueue never blocks: a socket that cannot keep up is closed rather than slowing the others.
func (c *client) enqueue(frame []byte) {
	select {
	case c.send <- frame:
	case <-c.done:
	default:
		c.close(4008, "slow consumer")
	}
}

func (c *client) close(code int, reason string) {
	c.closeOnce.Do(func() {
		close(c.done)
		_ = c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
		_ = c.conn.Close()
	})
}

// readPump reads and discards the client's frames (acks and pongs): there is nothing to acknowledge without a store.
func (c *client) readPump(h *hub) {
	defer func() {
		h.remove(c)
		c.close(websocket.CloseNormalClosure, "")
	}()
	c.conn.SetReadLimit(4096)
	_ = c.conn.SetReadDeadline(time.Now().Add(pongWait))
	c.conn.SetPongHandler(func(string) error { return c.conn.SetReadDeadline(time.Now().Add(pongWait)) })
	for {
		if _, _, err := c.conn.ReadMessage(); err != nil {
			return
		}
		_ = c.conn.SetReadDeadline(time.Now().Add(pongWait))
	}
}

// writePump writes queued frames one message each, and pings.
func (c *client) writePump(h *hub) {
	ticker := time.NewTicker(pingPeriod)
	defer func() {
		ticker.Stop()
		h.remove(c)
		c.close(websocket.CloseNormalClosure, "")
	}()
	for {
		select {
		case frame := <-c.send:
			_ = c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.conn.WriteMessage(websocket.TextMessage, frame); err != nil {
				return
			}
		case <-ticker.C:
			_ = c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		case <-c.done:
			return
		}
	}
}

func connectionID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
