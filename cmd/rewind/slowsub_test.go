//go:build linux

package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Slow subscribers cost bounded memory: a real server with subscribers that
// never read (a 4 KiB receive window, so the kernel holds almost nothing
// for them) and a publisher sending well past their limit. The server's RSS
// must stay within what the limits allow (each subscriber's, or the
// server-wide one when it is lower), the subscribers must be disconnected
// by the limits (not by the write timeout), and every PUBLISH is answered
// while they exist.
func TestSlowSubscribersMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and publishes hundreds of MiB of fan-out")
	}
	const (
		subscribers   = 50
		limitBytes    = 2 << 20
		messageBytes  = 16 << 10
		publishBytes  = 8 << 20 // 4x the limit, to each subscriber
		allowanceByte = 32 << 20
	)
	cases := []struct {
		name       string
		totalBytes int    // --total-subscriber-buffer-bytes
		stat       string // INFO field counting the disconnects
		logLine    string
		boundBytes int64 // what the subscribers may hold together
	}{
		{"per-subscriber limit", 1 << 30, "rewind_slow_subscriber_disconnects", "disconnecting slow subscriber", subscribers * limitBytes},
		{"server-wide limit", 16 << 20, "evicted_clients", "disconnecting the subscriber holding the most output", 16 << 20},
	}
	bin := rewindBinary(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, bin, t.TempDir(), freePort(t),
				"--subscriber-buffer-bytes", strconv.Itoa(limitBytes),
				"--total-subscriber-buffer-bytes", strconv.Itoa(tc.totalBytes))
			pid := srv.cmd.Process.Pid
			subs := dialNonReading(t, srv.addr, subscribers, "slow")
			pub := dialPublisher(t, srv.addr)
			pub.publishBytes(t, "warmup", messageBytes, 2<<20) // no subscribers: warms the log's memory
			base := processRSS(t, pid)
			peak := base
			pub.publishBytesEach(t, "slow", messageBytes, publishBytes, func() { peak = max(peak, processRSS(t, pid)) })
			time.Sleep(200 * time.Millisecond)
			peak = max(peak, processRSS(t, pid))

			growth, allowed := peak-base, tc.boundBytes*3/2+allowanceByte
			t.Logf("RSS %d MiB -> peak %d MiB: +%d MiB for %d subscribers (allowed %d MiB)",
				base>>20, peak>>20, growth>>20, subscribers, allowed>>20)
			if growth > allowed {
				t.Errorf("RSS grew by %d MiB, more than the limits allow (%d MiB)", growth>>20, allowed>>20)
			}
			waitSubscribersClosed(t, subs)
			if n := infoStat(t, srv.addr, tc.stat); n < 1 {
				t.Errorf("INFO %s = %d", tc.stat, n)
			}
			waitForLog(t, srv, tc.logLine)
			if strings.Contains(srv.logText(), "i/o timeout") {
				t.Errorf("a subscriber was dropped by the write timeout:\n%s", srv.logText())
			}
		})
	}
}

// dialNonReading connects n clients subscribed to channel whose sockets
// have a 4 KiB receive buffer and which never read after the confirmation.
func dialNonReading(t *testing.T, addr string, n int, channel string) []net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	conns := make([]net.Conn, 0, n)
	for i := 0; i < n; i++ {
		nc, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = nc.Close() })
		if _, err := nc.Write(respCommand("SUBSCRIBE", channel)); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(nc)
		for line := ""; !strings.HasPrefix(line, ":"); { // the confirmation ends with the count
			if line, err = r.ReadString('\n'); err != nil {
				t.Fatal(err)
			}
		}
		conns = append(conns, nc)
	}
	return conns
}

// publisher pipelines PUBLISH commands in rounds of 16 and reads their
// replies, each round within a generous deadline (a hang detector, not a
// latency bound).
type publisher struct {
	nc net.Conn
	r  *bufio.Reader
}

func dialPublisher(t *testing.T, addr string) *publisher {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return &publisher{nc: nc, r: bufio.NewReader(nc)}
}

func (p *publisher) publishBytes(t *testing.T, channel string, size, total int) {
	p.publishBytesEach(t, channel, size, total, func() {})
}

// publishBytesEach publishes total bytes in messages of size, calling
// each after every round.
func (p *publisher) publishBytesEach(t *testing.T, channel string, size, total int, each func()) {
	t.Helper()
	const round = 16
	cmd := respCommand("PUBLISH", channel, strings.Repeat("x", size))
	for sent := 0; sent < total; sent += round * size {
		_ = p.nc.SetDeadline(time.Now().Add(20 * time.Second))
		for i := 0; i < round; i++ {
			if _, err := p.nc.Write(cmd); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < round; i++ {
			line, err := p.r.ReadString('\n')
			if err != nil {
				t.Fatalf("PUBLISH not answered: %v", err)
			}
			if !strings.HasPrefix(line, ":") {
				t.Fatalf("PUBLISH: %q", line)
			}
		}
		each()
	}
}

// waitSubscribersClosed reads each connection to its end: the server must
// have closed it.
func waitSubscribersClosed(t *testing.T, conns []net.Conn) {
	t.Helper()
	buf := make([]byte, 64<<10)
	for i, nc := range conns {
		_ = nc.SetReadDeadline(time.Now().Add(20 * time.Second))
		for {
			_, err := nc.Read(buf)
			if err == nil {
				continue
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("subscriber %d was not disconnected", i)
			}
			break
		}
	}
}

// infoStat reads an integer field of INFO.
func infoStat(t *testing.T, addr, field string) int64 {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	info, err := c.Info(context.Background(), "all").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("INFO %s: %q", field, v)
			}
			return n
		}
	}
	t.Fatalf("INFO has no %s", field)
	return 0
}

// processRSS is a process's resident set size in bytes (VmRSS).
func processRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS: %q", v)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// respCommand encodes a command as a RESP array of bulk strings.
func respCommand(args ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return []byte(b.String())
}
