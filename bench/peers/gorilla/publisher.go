package main

import (
	"encoding/json"
	"log"
	"sync"

	"github.com/gomodule/redigo/redis"
)

// publisher numbers each user's notifications and publishes them, in that order, over one pipelined connection.
//
// A seq is taken and its PUBLISH queued under one lock, and one connection carries every PUBLISH, so Redis sees
// a user's notifications in seq order and so do the user's sockets. Numbering first and publishing later on any
// pooled connection would let two concurrent POSTs for one user arrive as 5 then 4.
//
// The counter is in memory on the node that accepts the POST: consistent only while every POST for a user goes to
// the same node, which is how the bench sends (see the README). Peers store nothing; that is the comparison.
type publisher struct {
	mu      sync.Mutex
	next    map[string]int64
	queue   chan *publication
	pending chan *publication
	conn    redis.Conn
}

type publication struct {
	channel string
	frame   []byte
	done    chan error
}

func newPublisher(conn redis.Conn) *publisher {
	p := &publisher{next: map[string]int64{}, queue: make(chan *publication, 4096), pending: make(chan *publication, 65536), conn: conn}
	go p.write()
	go p.read()
	return p
}

// publish numbers one notification per user, queues its frame and waits until Redis has every PUBLISH.
func (p *publisher) publish(users []string, channel func(string) string, frame func(index int, seq int64) ([]byte, error)) ([]int64, error) {
	seqs := make([]int64, len(users))
	batch := make([]*publication, len(users))
	p.mu.Lock()
	for i, userID := range users {
		p.next[userID]++
		seqs[i] = p.next[userID]
		bytes, err := frame(i, seqs[i])
		if err != nil {
			p.mu.Unlock()
			return nil, err
		}
		batch[i] = &publication{channel: channel(userID), frame: bytes, done: make(chan error, 1)}
		p.queue <- batch[i]
	}
	p.mu.Unlock()
	for _, item := range batch {
		if err := <-item.done; err != nil {
			return nil, err
		}
	}
	return seqs, nil
}

// write sends queued PUBLISHes and flushes when nothing more is waiting, so a burst goes out in one write.
func (p *publisher) write() {
	for item := range p.queue {
		if err := p.conn.Send("PUBLISH", item.channel, item.frame); err != nil {
			log.Fatalf("redis publisher: %v", err)
		}
		p.pending <- item
		if len(p.queue) == 0 {
			if err := p.conn.Flush(); err != nil {
				log.Fatalf("redis publisher: %v", err)
			}
		}
	}
}

// read matches replies to PUBLISHes: Redis answers one connection's commands in order.
func (p *publisher) read() {
	for item := range p.pending {
		_, err := p.conn.Receive()
		item.done <- err
	}
}

// marshalFrame is the notification frame NotifyPush sends, field for field.
func marshalFrame(seq int64, id, event string, payload json.RawMessage, createdAt string) ([]byte, error) {
	return json.Marshal(notificationFrame{Type: "notification", Seq: seq, ID: id, Event: event, Payload: payload, CreatedAt: createdAt})
}
