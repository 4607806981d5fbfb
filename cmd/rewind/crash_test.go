package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	crashBinOnce sync.Once
	crashBin     string
	crashBinErr  error
)

// rewindBinary builds the rewind binary once per test run.
func rewindBinary(t *testing.T) string {
	t.Helper()
	crashBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rewind-bin-")
		if err != nil {
			crashBinErr = err
			return
		}
		crashBin = filepath.Join(dir, "rewind")
		out, err := exec.Command("go", "build", "-o", crashBin, ".").CombinedOutput()
		if err != nil {
			crashBinErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if crashBinErr != nil {
		t.Fatal(crashBinErr)
	}
	return crashBin
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// serverProc is a real `rewind serve` process.
type serverProc struct {
	cmd  *exec.Cmd
	addr string
	logs *strings.Builder
}

func startServer(t *testing.T, bin, dir string, port int, extra ...string) *serverProc {
	t.Helper()
	args := append([]string{"serve", "--port", strconv.Itoa(port), "--dir", dir}, extra...)
	cmd := exec.Command(bin, args...)
	logs := &strings.Builder{}
	cmd.Stderr = &lockedWriter{b: logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProc{cmd: cmd, addr: fmt.Sprintf("127.0.0.1:%d", port), logs: logs}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	c := redis.NewClient(&redis.Options{Addr: p.addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return p
}

func (p *serverProc) kill9(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
}

type lockedWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// acked is what a publisher was told: the payload and, for XADD, its ID.
type acked struct {
	channel string
	payload string
	id      string // "" for PUBLISH (its reply has no ID)
}

// crashPublisher writes unique payloads until its context ends, recording
// every write that got a successful reply. Odd publishers use XADD, even
// ones PUBLISH; some pipeline 16 commands at a time.
func crashPublisher(ctx context.Context, addr string, round, n int, out chan<- acked) {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, PoolSize: 1})
	defer c.Close()
	channel := fmt.Sprintf("ch%d", n%3)
	depth := 1 + 15*(n%2)
	for seq := 0; ctx.Err() == nil; {
		pipe := c.Pipeline()
		var cmds []redis.Cmder
		var payloads []string
		for i := 0; i < depth; i++ {
			payload := fmt.Sprintf("r%d-p%d-%d", round, n, seq)
			seq++
			payloads = append(payloads, payload)
			if n%4 < 2 {
				cmds = append(cmds, pipe.XAdd(ctx, &redis.XAddArgs{Stream: channel, Values: []string{"message", payload}}))
			} else {
				cmds = append(cmds, pipe.Publish(ctx, channel, payload))
			}
		}
		_, _ = pipe.Exec(ctx)
		for i, cmd := range cmds {
			if cmd.Err() != nil {
				return // the server died: later replies can't be trusted to exist
			}
			a := acked{channel: channel, payload: payloads[i]}
			if x, ok := cmd.(*redis.StringCmd); ok {
				a.id = x.Val()
			}
			out <- a
		}
	}
}

// TestKill9LosesNothingAcknowledged runs concurrent PUBLISH and XADD
// publishers against a real server, kills it with SIGKILL mid-stream,
// restarts it on the same directory, and checks that every acknowledged
// write is present once, with its ID, in order, and that new IDs keep
// increasing. Three rounds.
func TestKill9LosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	bin := rewindBinary(t)
	dir := t.TempDir()
	port := freePort(t)
	var all []acked
	maxID := map[string]string{}
	for round := 0; round < 3; round++ {
		srv := startServer(t, bin, dir, port)
		if round > 0 {
			verifyAfterCrash(t, srv.addr, all, maxID)
		}
		ctx, cancel := context.WithCancel(context.Background())
		out := make(chan acked, 1024)
		// Collect while the publishers run: a fixed buffer fills up when
		// the server is fast, and the publishers would block in it.
		collected := make(chan []acked, 1)
		go func() {
			var acks []acked
			for a := range out {
				acks = append(acks, a)
			}
			collected <- acks
		}()
		var wg sync.WaitGroup
		for n := 0; n < 8; n++ {
			wg.Add(1)
			go func() { defer wg.Done(); crashPublisher(ctx, srv.addr, round, n, out) }()
		}
		time.Sleep(700 * time.Millisecond)
		srv.kill9(t)
		wg.Wait()
		cancel()
		close(out)
		acks := <-collected
		all = append(all, acks...)
		got := len(acks)
		if got == 0 {
			t.Fatalf("round %d: no write was acknowledged; server logs:\n%s", round, srv.logs)
		}
		t.Logf("round %d: %d acknowledged writes before kill -9", round, got)
	}
	srv := startServer(t, bin, dir, port)
	verifyAfterCrash(t, srv.addr, all, maxID)
}

// verifyAfterCrash checks the restarted server against everything that was
// acknowledged so far, then that a new XADD gets an ID above all stored ones.
func verifyAfterCrash(t *testing.T, addr string, all []acked, maxID map[string]string) {
	t.Helper()
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	stored := map[string]map[string]string{} // channel -> payload -> id
	for _, ch := range []string{"ch0", "ch1", "ch2"} {
		entries, err := c.XRange(ctx, ch, "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		stored[ch] = map[string]string{}
		prev := ""
		lastSeq := map[string]int{}
		for _, e := range entries {
			payload, ok := e.Values["message"].(string)
			if !ok || len(e.Values) != 1 {
				t.Fatalf("%s %s: malformed entry %v", ch, e.ID, e.Values)
			}
			if prev != "" && !idLess(prev, e.ID) {
				t.Fatalf("%s: IDs not increasing: %s then %s", ch, prev, e.ID)
			}
			prev = e.ID
			if _, dup := stored[ch][payload]; dup {
				t.Fatalf("%s: payload %q stored twice", ch, payload)
			}
			stored[ch][payload] = e.ID
			// Each publisher's writes are stored in the order it made them.
			var round, pub, seq int
			if _, err := fmt.Sscanf(payload, "r%d-p%d-%d", &round, &pub, &seq); err != nil {
				t.Fatalf("%s: payload %q was never written", ch, payload)
			}
			key := fmt.Sprintf("%d/%d", round, pub)
			if last, ok := lastSeq[key]; ok && seq <= last {
				t.Fatalf("%s: publisher %s out of order: %d after %d", ch, key, seq, last)
			}
			lastSeq[key] = seq
		}
		if prev != "" {
			if old, ok := maxID[ch]; ok && idLess(prev, old) {
				t.Fatalf("%s: last ID went back from %s to %s", ch, old, prev)
			}
			maxID[ch] = prev
		}
	}
	for _, a := range all {
		id, ok := stored[a.channel][a.payload]
		if !ok {
			t.Fatalf("acknowledged %s %q lost", a.channel, a.payload)
		}
		if a.id != "" && a.id != id {
			t.Fatalf("acknowledged %s %q with ID %s, stored as %s", a.channel, a.payload, a.id, id)
		}
	}
	for ch, last := range maxID {
		id, err := c.XAdd(ctx, &redis.XAddArgs{Stream: ch, Values: []string{"message", "probe"}}).Result()
		if err != nil {
			t.Fatal(err)
		}
		if !idLess(last, id) {
			t.Fatalf("%s: new ID %s not above %s", ch, id, last)
		}
		if err := c.XDel(ctx, ch, id).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

func idLess(a, b string) bool {
	var am, as, bm, bs uint64
	fmt.Sscanf(a, "%d-%d", &am, &as)
	fmt.Sscanf(b, "%d-%d", &bm, &bs)
	return am < bm || (am == bm && as < bs)
}
