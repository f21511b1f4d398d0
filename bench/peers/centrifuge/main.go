// Command centrifuge is a benchmark peer of NotifyPush: a per-user push server built with the Centrifuge library
// (0.15) the way its examples build one: an HTTP middleware sets the user's credentials, each connection gets a
// server-side subscription to its user's channel, and the Redis broker carries publications between nodes. Clients
// speak Centrifuge's own protocol (JSON). It stores nothing and replays nothing; see bench/peers/README.md.
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/centrifugal/centrifuge"
)

func env(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

// userChannel is the channel of a user's notifications; every connection of the user is subscribed to it by the server.
func userChannel(userID string) string { return "user:" + userID }

func main() {
	signingKey, apiKey := os.Getenv("PEER_SIGNING_KEY"), os.Getenv("PEER_API_KEY")
	if signingKey == "" || apiKey == "" {
		log.Fatal("PEER_SIGNING_KEY and PEER_API_KEY are required")
	}
	tokens := tokenValidator{key: []byte(signingKey), issuer: os.Getenv("PEER_ISSUER"), audience: os.Getenv("PEER_AUDIENCE")}

	cfg := centrifuge.DefaultConfig
	cfg.LogLevel = centrifuge.LogLevelError
	cfg.LogHandler = func(e centrifuge.LogEntry) { log.Printf("centrifuge: %s: %v", e.Message, e.Fields) }
	node, err := centrifuge.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	node.OnConnecting(func(ctx context.Context, e centrifuge.ConnectEvent) (centrifuge.ConnectReply, error) {
		credentials, _ := centrifuge.GetCredentials(ctx)
		// Subscribed before the connect reply is written: once a client has its reply, publications reach it.
		return centrifuge.ConnectReply{
			Subscriptions: map[string]centrifuge.SubscribeOptions{userChannel(credentials.UserID): {}},
		}, nil
	})
	node.OnConnect(func(client *centrifuge.Client) {})

	shard, err := centrifuge.NewRedisShard(node, centrifuge.RedisShardConfig{Address: strings.Split(env("PEER_REDIS", "127.0.0.1:6379"), ",")[0]})
	if err != nil {
		log.Fatal(err)
	}
	broker, err := centrifuge.NewRedisBroker(node, centrifuge.RedisBrokerConfig{Prefix: env("PEER_CHANNEL_PREFIX", "centrifuge"), Shards: []*centrifuge.RedisShard{shard}})
	if err != nil {
		log.Fatal(err)
	}
	node.SetBroker(broker)
	if err := node.Run(); err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle("/connection/websocket", authenticate(tokens, centrifuge.NewWebsocketHandler(node, centrifuge.WebsocketConfig{
		ReadBufferSize:  512,
		WriteBufferSize: 1024,
		CheckOrigin:     func(r *http.Request) bool { return true },
	})))
	mux.Handle("/api/notifications", &sendHandler{node: node, apiKey: apiKey, seqs: newSeqCounter()})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"ready","connections":%d}`, node.Hub().NumClients())
	})

	listener, err := net.Listen("tcp", env("PEER_LISTEN", "127.0.0.1:0"))
	if err != nil {
		log.Fatal(err)
	}
	// The bench reads the port from this line, the one Kestrel prints.
	fmt.Printf("Now listening on: http://%s\n", listener.Addr())
	log.Fatal(http.Serve(listener, mux))
}

// authenticate sets the user of a socket from its token before Centrifuge sees it (the library's examples'
// middleware); a socket without a valid token is refused with 401 before the upgrade.
func authenticate(tokens tokenValidator, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		userID, err := tokens.userID(bearer(r.URL.Query().Get("access_token"), r.Header.Get("Authorization")))
		if err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(centrifuge.SetCredentials(r.Context(), &centrifuge.Credentials{UserID: userID})))
	})
}
