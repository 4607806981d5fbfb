package resp

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rewind-mq/rewind/broker"
)

// TestBlockedReadersUnblockedAsRedis runs the same scenarios against
// redis-server and rewind and compares what the blocked client gets: an
// XREADGROUP whose stream is deleted (DEL, FLUSHALL) gets Redis 7's
// -UNBLOCKED error, one whose group is destroyed -NOGROUP; an XREAD whose
// stream is deleted stays blocked until the new stream passes its ID; an
// XREAD woken by a MULTI/EXEC of two XADDs gets both entries. Each waits
// until INFO clients reports the client blocked.
func TestBlockedReadersUnblockedAsRedis(t *testing.T) {
	redisAddr := startRedis(t)
	ts := startServerForKeysTest(t, func(_ *broker.Config, c *Config) { c.AllowFlush = true })
	scenarios := []struct {
		name   string
		setup  []string
		block  []string
		action [][]string
	}{
		{"del", []string{"XADD s 1-1 f v", "XGROUP CREATE s g $"},
			[]string{"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"}, [][]string{{"DEL", "s"}}},
		{"flushall", []string{"XADD s 1-1 f v", "XGROUP CREATE s g $"},
			[]string{"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"}, [][]string{{"FLUSHALL"}}},
		{"destroy", []string{"XADD s 1-1 f v", "XGROUP CREATE s g $"},
			[]string{"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"}, [][]string{{"XGROUP", "DESTROY", "s", "g"}}},
		{"xread-del", []string{"XADD s 1-1 f v"},
			[]string{"XREAD", "BLOCK", "0", "STREAMS", "s", "$"},
			[][]string{{"DEL", "s"}, {"XADD", "s", "0-5", "f", "old"}, {"XADD", "s", "2-1", "f", "new"}}},
		{"multi", []string{"XADD s 1-1 f v"},
			[]string{"XREAD", "BLOCK", "0", "STREAMS", "s", "$"},
			[][]string{{"MULTI"}, {"XADD", "s", "5-1", "a", "b"}, {"XADD", "s", "5-2", "c", "d"}, {"EXEC"}}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			var got [2]string
			for i, addr := range []string{redisAddr, ts.addr} {
				got[i] = runBlockedScenario(t, addr, sc.setup, sc.block, sc.action)
			}
			if got[0] != got[1] {
				t.Fatalf("the blocked client got\n  redis:  %s\n  rewind: %s", got[0], got[1])
			}
			t.Logf("both: %s", got[0])
		})
	}
}

// runBlockedScenario runs setup, starts the blocking command on its own
// connection, waits until the server counts it blocked, runs the actions on
// one connection (a MULTI spans them), and returns what the blocked command
// got.
func runBlockedScenario(t *testing.T, addr string, setup, block []string, actions [][]string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	admin := redis.NewClient(&redis.Options{Addr: addr})
	defer admin.Close()
	if err := admin.Do(ctx, "FLUSHALL").Err(); err != nil {
		t.Fatal(err)
	}
	for _, line := range setup {
		if err := admin.Do(ctx, toAny(strings.Fields(line))...).Err(); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
	blocked := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: -1})
	defer blocked.Close()
	reply := make(chan string, 1)
	go func() {
		v, err := blocked.Do(ctx, toAny(block)...).Result()
		reply <- fmt.Sprintf("%v %v", v, err)
	}()
	waitFor(t, 10*time.Second, "the client to block", func() error {
		info := admin.Info(ctx, "clients").Val()
		if !strings.Contains(info, "blocked_clients:1\r\n") {
			return fmt.Errorf("INFO clients: %q", info)
		}
		return nil
	})
	conn := admin.Conn()
	defer conn.Close()
	for _, a := range actions {
		if err := conn.Do(ctx, toAny(a)...).Err(); err != nil && !strings.HasPrefix(err.Error(), "QUEUED") {
			t.Fatalf("%v: %v", a, err)
		}
	}
	select {
	case r := <-reply:
		return r
	case <-time.After(10 * time.Second):
		return "<still blocked>"
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
