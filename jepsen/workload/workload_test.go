package workload

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rewind-mq/rewind/jepsen/history"
)

// replyError is an error reply, as go-redis returns it.
type replyError string

func (e replyError) Error() string { return string(e) }
func (replyError) RedisError()     {}

var _ redis.Error = replyError("")

func TestOutcome(t *testing.T) {
	tests := []struct {
		err  error
		want history.Type
	}{
		{nil, history.OK},
		{replyError("MISCONF Errors writing to disk: rewind: log failed"), history.Info}, // the batch may be on disk
		{replyError("ERR server is shutting down"), history.Fail},
		{replyError("WRONGTYPE Operation against a key"), history.Fail},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, history.Fail},
		{&net.OpError{Op: "read", Err: syscall.ECONNRESET}, history.Info},
		{context.DeadlineExceeded, history.Info},
		{errors.New("EOF"), history.Info},
	}
	for _, tc := range tests {
		if got := outcome(tc.err); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.err, got, tc.want)
		}
	}
}

func TestParseReplay(t *testing.T) {
	in := `{"id":"1-0","channel":"c","fields":{"message":"a"}}
{"id":"1-1","channel":"c","fields":{"message":"b","x":"y"}}
`
	got, err := parseReplay(bufio.NewScanner(strings.NewReader(in)))
	if err != nil || len(got) != 2 || got[0] != (history.Entry{ID: "1-0", Value: "a"}) || !strings.HasPrefix(got[1].Value, "<fields") {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := parseReplay(bufio.NewScanner(strings.NewReader("not json\n"))); err == nil {
		t.Fatal("garbage accepted")
	}
}

func TestLimiterPaces(t *testing.T) {
	l := NewLimiter(200)
	start := time.Now()
	for i := 0; i < 60; i++ {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// 60 operations at 200/s take about 300 ms (less the 100 ms burst).
	if d := time.Since(start); d < 150*time.Millisecond || d > 2*time.Second {
		t.Fatalf("60 waits at 200/s took %v", d)
	}
}

func TestLookup(t *testing.T) {
	ws, err := Lookup([]string{"queue", "log", "subscribe"}, Options{Channels: 2})
	if err != nil || len(ws) != 3 || fmt.Sprint(AllChannels(ws)) != "[lin log-0 log-1 queue-plain queue-redeliver sub-0 sub-1 sub-2]" {
		t.Fatalf("%v %v", ws, err)
	}
	if _, err := Lookup([]string{"bank"}, Options{}); err == nil || !strings.Contains(err.Error(), "have: queue, log, subscribe") {
		t.Fatalf("unknown workload: %v", err)
	}
}

func TestDeadLetterOf(t *testing.T) {
	m := redis.XMessage{ID: "9-0", Values: map[string]interface{}{
		"message": "3-25", "dlq-channel": "queue-redeliver", "dlq-id": "5-0", "dlq-group": "g",
		"dlq-consumer": "c1", "dlq-deliveries": "3", "dlq-reason": "max deliveries exceeded",
	}}
	want := history.DeadLetter{ID: "9-0", Value: "3-25", Source: "queue-redeliver", SourceID: "5-0", Deliveries: 3}
	if got := deadLetterOf(m); got != want {
		t.Fatalf("%+v, want %+v", got, want)
	}
	delete(m.Values, "dlq-id")
	if got := deadLetterOf(m); got.Fields == "" {
		t.Fatalf("a dead letter without dlq-id was accepted: %+v", got)
	}
}

func TestPoisonOnlyOnTheRedeliveryQueue(t *testing.T) {
	q := NewQueue(Options{})
	plain, redeliver := &consumer{spec: q.queues[0]}, &consumer{spec: q.queues[1]}
	if plain.poison("7-25") || !redeliver.poison("7-25") || redeliver.poison("7-26") || redeliver.poison("junk") {
		t.Fatal("poison values")
	}
}

func TestEndOf(t *testing.T) {
	for err, want := range map[error]string{
		&net.OpError{Op: "read", Err: timeoutError{}}:         EndDropped,
		errors.New("no PONG"):                                 EndDropped,
		errors.New("EOF"):                                     EndBroken,
		&net.OpError{Op: "read", Err: syscall.ECONNRESET}:     EndBroken,
		fmt.Errorf("subscribe: %w", context.DeadlineExceeded): EndDropped,
		errors.New("no UNSUBSCRIBE confirmation"):             EndDropped,
		&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}:   EndBroken,
	} {
		if got := endOf(err); got != want {
			t.Errorf("%v: %s, want %s", err, got, want)
		}
	}
}

type timeoutError struct{}

func (timeoutError) Error() string { return "i/o timeout" }
func (timeoutError) Timeout() bool { return true }
