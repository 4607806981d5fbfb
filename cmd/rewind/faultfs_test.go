package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/redis/go-redis/v9"
)

func TestParseFaultRule(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{in: "", want: "off"},
		{in: "off\n", want: "off"},
		{in: "sync-error", want: "sync-error files=wal p=1"},
		{in: "sync-stall ms=250 files=all", want: "sync-stall files=all p=1 ms=250"},
		{in: "write-enospc files=sst p=0.5", want: "write-enospc files=sst p=0.5"},
		{in: "sync-stall", bad: true},
		{in: "melt", bad: true},
		{in: "sync-error files=tmp", bad: true},
		{in: "sync-error p=2", bad: true},
		{in: "sync-error p", bad: true},
	}
	for _, tc := range tests {
		r, err := parseFaultRule(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: no error", tc.in)
			}
			continue
		}
		if err != nil || r.String() != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.in, r, err, tc.want)
		}
	}
}

func TestFaultRuleMatches(t *testing.T) {
	syncWAL := errorfs.Op{Kind: errorfs.OpFileSync, Path: "/d/000002.log"}
	writeSST := errorfs.Op{Kind: errorfs.OpFileWrite, Path: "/d/000007.sst"}
	createSST := errorfs.Op{Kind: errorfs.OpCreate, Path: "/d/000008.sst"}
	tests := []struct {
		rule string
		op   errorfs.Op
		want bool
	}{
		{"sync-error", syncWAL, true},
		{"sync-error", writeSST, false},
		{"write-error files=sst", writeSST, true},
		{"write-error files=wal", writeSST, false},
		{"write-enospc files=all", createSST, true},
		{"write-error files=all", createSST, false},
		{"off", syncWAL, false},
	}
	for _, tc := range tests {
		r, err := parseFaultRule(tc.rule)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.kind != faultOff && r.matches(tc.op); got != tc.want {
			t.Errorf("%s on %v: %v, want %v", tc.rule, tc.op, got, tc.want)
		}
	}
}

// TestFailedFsyncIsNeverAcknowledged: once the control file makes WAL
// fsyncs fail, XADD gets a MISCONF error (never an ID), keeps getting it,
// and after a restart every acknowledged write is still there.
func TestFailedFsyncIsNeverAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	bin := rewindBinary(t)
	dir, port := t.TempDir(), freePort(t)
	control := filepath.Join(t.TempDir(), "faults")
	srv := startServer(t, bin, dir, port, "--unsafe-fault-fs", control)
	acked := xaddN(t, srv.addr, "ch", 20)
	if err := os.WriteFile(control, []byte("sync-error files=wal\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := srv.cmd.Process.Signal(syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	waitForLog(t, srv, "disk faults changed")
	c := redis.NewClient(&redis.Options{Addr: srv.addr, MaxRetries: -1})
	defer c.Close()
	for i := 0; i < 3; i++ {
		id, err := c.XAdd(context.Background(), &redis.XAddArgs{Stream: "ch", Values: []string{"message", "after"}}).Result()
		if err == nil || !strings.HasPrefix(err.Error(), "MISCONF") {
			t.Fatalf("XADD with failing fsync: id %q, err %v; want MISCONF", id, err)
		}
	}
	srv.kill9(t)
	srv = startServer(t, bin, dir, port) // faults off: no control flag
	if n := xlen(t, srv.addr, "ch"); n < int64(len(acked)) {
		t.Fatalf("%d acknowledged, %d after restart", len(acked), n)
	}
}

func waitForLog(t *testing.T, p *serverProc, text string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(p.logText(), text) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %q in the server log:\n%s", text, p.logText())
}

// logText returns the server's log so far (safe while it runs).
func (p *serverProc) logText() string {
	w := p.cmd.Stderr.(*lockedWriter)
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
