// Command gorilla is a benchmark peer of NotifyPush: a per-user push server built the way the gorilla/websocket
// chat example builds one, with redigo pub/sub between nodes. It stores nothing and replays nothing; see
// bench/peers/README.md for what it does and does not do.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/gomodule/redigo/redis"
)

// config is read from the environment, as the bench starts every peer node.
type config struct {
	listen        string // PEER_LISTEN, default 127.0.0.1:0
	redisAddress  string // PEER_REDIS host:port (the first element of a StackExchange.Redis configuration)
	channelPrefix string // PEER_CHANNEL_PREFIX, so runs sharing one Redis do not see each other
	signingKey    string // PEER_SIGNING_KEY, the HS256 key of user tokens
	issuer        string // PEER_ISSUER
	audience      string // PEER_AUDIENCE
	apiKey        string // PEER_API_KEY, the service key of POST /api/notifications
}

func env(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func main() {
	cfg := config{
		listen:        env("PEER_LISTEN", "127.0.0.1:0"),
		redisAddress:  strings.Split(env("PEER_REDIS", "127.0.0.1:6379"), ",")[0],
		channelPrefix: env("PEER_CHANNEL_PREFIX", "gorilla"),
		signingKey:    os.Getenv("PEER_SIGNING_KEY"),
		issuer:        os.Getenv("PEER_ISSUER"),
		audience:      os.Getenv("PEER_AUDIENCE"),
		apiKey:        os.Getenv("PEER_API_KEY"),
	}
	if cfg.signingKey == "" || cfg.apiKey == "" {
		log.Fatal("PEER_SIGNING_KEY and PEER_API_KEY are required")
	}

	dial := func() (redis.Conn, error) { return redis.Dial("tcp", cfg.redisAddress) }
	subscriber, err := dial()
	if err != nil {
		log.Fatalf("redis %s: %v", cfg.redisAddress, err)
	}
	publishing, err := dial()
	if err != nil {
		log.Fatalf("redis %s: %v", cfg.redisAddress, err)
	}

	h := newHub(redis.PubSubConn{Conn: subscriber}, cfg.channelPrefix)
	go h.run()

	mux := http.NewServeMux()
	mux.Handle("/ws", &socketHandler{hub: h, tokens: tokenValidator{key: []byte(cfg.signingKey), issuer: cfg.issuer, audience: cfg.audience}})
	mux.Handle("/api/notifications", &sendHandler{hub: h, publisher: newPublisher(publishing), apiKey: cfg.apiKey})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"ready","connections":%d}`, h.connections())
	})

	listener, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		log.Fatal(err)
	}
	// The bench reads the port from this line, the one Kestrel prints.
	fmt.Printf("Now listening on: http://%s\n", listener.Addr())
	log.Fatal(http.Serve(listener, mux))
}
