package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// powerCut sends SIGUSR1 to a --unsafe-powerloss-fs server and waits for
// it to exit with powerLossExitCode.
func (p *serverProc) powerCut(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != powerLossExitCode {
			t.Fatalf("power cut: exit %v, want status %d; logs:\n%s", err, powerLossExitCode, p.logs)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("power cut: server still running; logs:\n%s", p.logs)
	}
}

// xaddN appends n acknowledged entries to channel and returns their IDs.
func xaddN(t *testing.T, addr, channel string, n int) []string {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	ids := make([]string, 0, n)
	for i := 0; i < n; i++ {
		id, err := c.XAdd(context.Background(), &redis.XAddArgs{Stream: channel, Values: []string{"message", fmt.Sprint(i)}}).Result()
		if err != nil {
			t.Fatalf("XADD %d: %v", i, err)
		}
		ids = append(ids, id)
	}
	return ids
}

func xlen(t *testing.T, addr, channel string) int64 {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	n, err := c.XLen(context.Background(), channel).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPowerLossDropsUnsyncedWrites proves the harness's power-loss mode:
// after a power cut, a server that skips fsync (--unsafe-no-sync) has lost
// acknowledged writes, and a normal server has lost none. Acknowledged
// writes from before an earlier power cut survive too, and a clean stop
// keeps everything.
func TestPowerLossDropsUnsyncedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	bin := rewindBinary(t)
	cases := []struct {
		name   string
		extra  []string
		wantOK bool // every acknowledged write survives
	}{
		{"fsync", nil, true},
		{"unsafe-no-sync", []string{"--unsafe-no-sync"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, port := t.TempDir(), freePort(t)
			args := append([]string{"--unsafe-powerloss-fs"}, tc.extra...)
			srv := startServer(t, bin, dir, port, args...)
			acked := len(xaddN(t, srv.addr, "ch", 200))
			srv.powerCut(t)
			srv = startServer(t, bin, dir, port) // a normal restart
			got := xlen(t, srv.addr, "ch")
			t.Logf("%d acknowledged, %d survived the power cut", acked, got)
			if tc.wantOK && got != int64(acked) {
				t.Fatalf("lost %d acknowledged writes", int64(acked)-got)
			}
			if !tc.wantOK && got >= int64(acked) {
				t.Fatalf("no write lost without fsync: the power cut kept unsynced data")
			}
		})
	}
}

// TestPowerLossModeKeepsStateAcrossCuts: what survived one cut is the
// start of the next life; a clean stop (SIGTERM) writes everything back.
func TestPowerLossModeKeepsStateAcrossCuts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	bin := rewindBinary(t)
	dir, port := t.TempDir(), freePort(t)
	srv := startServer(t, bin, dir, port, "--unsafe-powerloss-fs")
	xaddN(t, srv.addr, "ch", 50)
	srv.powerCut(t)
	srv = startServer(t, bin, dir, port, "--unsafe-powerloss-fs", "--unsafe-no-sync")
	xaddN(t, srv.addr, "ch", 50)
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := srv.cmd.Wait(); err != nil {
		t.Fatalf("clean stop: %v\n%s", err, srv.logs)
	}
	srv = startServer(t, bin, dir, port)
	if n := xlen(t, srv.addr, "ch"); n != 100 {
		t.Fatalf("after a cut and a clean stop: %d entries, want 100", n)
	}
}
