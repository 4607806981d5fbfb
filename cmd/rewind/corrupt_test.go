package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestCorruptTableIsAnErrorNotACrash is jepsen bug 1 (jepsen/README.md):
// a bit flip in a table must make reads of it fail with an error reply,
// and the node must go on answering. Pebble used to report the corruption
// through Logger.Fatalf, which wal's pebbleLogger turned into a panic on the
// reader's goroutine, killing the server; wal now sets a DataCorruption
// listener, so the read gets an error instead.
func TestCorruptTableIsAnErrorNotACrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	bin := rewindBinary(t)
	dir, port := t.TempDir(), freePort(t)
	srv := startServer(t, bin, dir, port)
	xaddN(t, srv.addr, "ch", 2000)
	stopGracefully(t, srv)
	srv = startServer(t, bin, dir, port) // Pebble flushes the replayed WAL into a table
	stopGracefully(t, srv)
	flipMiddleBit(t, dir)
	srv = startServer(t, bin, dir, port)
	c := redis.NewClient(&redis.Options{Addr: srv.addr, MaxRetries: -1})
	defer c.Close()
	_, err := c.XRange(context.Background(), "ch", "-", "+").Result()
	if _, isReply := err.(redis.Error); !isReply {
		t.Fatalf("XRANGE over a corrupted table: %v, want an error reply; server log:\n%s", err, srv.logText())
	}
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("the server did not survive a corrupted read: %v\n%s", err, srv.logText())
	}
}

func stopGracefully(t *testing.T, p *serverProc) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("stop: %v\n%s", err, p.logText())
	}
}

// flipMiddleBit flips one bit in the middle of the first table in dir.
func flipMiddleBit(t *testing.T, dir string) {
	t.Helper()
	tables, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
	if len(tables) == 0 {
		t.Fatal("no table to corrupt")
	}
	data, err := os.ReadFile(tables[0])
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/3] ^= 0x40
	if err := os.WriteFile(tables[0], data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWALBitFlipIsNotSilentLoss is jepsen bug 2 (jepsen/README.md): after
// a clean stop, acknowledged entries newer than the last memtable flush
// live only in Pebble's WAL, and one flipped bit there makes the replay
// stop as if at a torn tail: the node starts and serves a shorter log
// without an error. It must either serve everything or refuse to start.
// A regression test since the fix (Flush at Close).
func TestWALBitFlipIsNotSilentLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	bin := rewindBinary(t)
	dir, port := t.TempDir(), freePort(t)
	srv := startServer(t, bin, dir, port)
	acked := len(xaddN(t, srv.addr, "ch", 3000))
	stopGracefully(t, srv)
	damage(t, dir, newestWAL, func(data []byte) []byte {
		data[len(bytes.TrimRight(data, "\x00"))/3] ^= 0x08 // a third of the way into its data
		return data
	})
	if refused, log := probeOutcome(t, bin, dir, acked, "WAL bit flip"); refused {
		t.Logf("refused to start (good): %s", lastLine(log))
	}
}
