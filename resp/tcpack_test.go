//go:build linux

package resp

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rewind-mq/rewind/broker"
)

// TestResumeAfterAbortiveClose: a named subscriber with a small receive
// window reads a few messages, stops reading while 2,000 more are
// published (the server queues them: some in the client's kernel, more in
// the server's socket and output buffer), and its connection is cut with a
// reset. When the name subscribes again, it gets every message after the
// last one that reached its machine — exactly those: what it read, what
// sat unread in its own kernel (the window rewind cannot see into), and
// what the resume sends line up with no gap and no repeat. With the cursor
// at what the server's socket had accepted, everything in the server's
// send buffer and on the wire was skipped.
func TestResumeAfterAbortiveClose(t *testing.T) {
	ts := startServerForKeysTest(t, func(_ *broker.Config, c *Config) { c.ResumeNames = "app-*" })
	const total, readFirst = 2000, 5
	payload := func(i int) string { return fmt.Sprintf("%04d-%s", i, bytes.Repeat([]byte{'x'}, 200)) }

	sub := dialNamedWindow(t, ts.addr)
	sub.send(t, "CLIENT", "SETNAME", "app-cut")
	sub.expectLine(t, "+OK")
	sub.send(t, "SUBSCRIBE", "cut")
	sub.readPush(t) // the confirmation
	pub := ts.client(2)
	ctx := keysCtx(t)
	for i := range total {
		ktOK(t, pub.Publish(ctx, "cut", payload(i)))
	}
	var got []string
	for range readFirst {
		got = append(got, sub.readPush(t)[2])
	}
	// Stop reading. Wait until the window is full and nothing moves, then
	// look (without consuming, so no window update lets more in) at what
	// the client's kernel holds: complete messages there reached this
	// machine.
	kernel := sub.peekStable(t)
	got = append(got, completePushes(sub.r.Buffered(), kernel, sub.r)...)
	sub.abort(t)

	waitUntil(t, "the cut session's cursor saved", func() bool {
		for _, c := range ts.srv.clients() {
			if c.name() == "app-cut" {
				return false
			}
		}
		_, ok, _ := ts.b.CursorOf([]byte("app-cut"), []byte("cut"))
		return ok
	})
	again := dialNamedWindow(t, ts.addr)
	again.send(t, "CLIENT", "SETNAME", "app-cut")
	again.expectLine(t, "+OK")
	again.send(t, "SUBSCRIBE", "cut")
	again.readPush(t)
	_ = again.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	parts, err := parsePush(again.r)
	if err != nil {
		t.Fatalf("the resume sent nothing (%v): the first session got %d of %d messages, the rest were skipped", err, len(got), total)
	}
	first := parts[2]
	if want := payload(len(got)); first != want {
		t.Fatalf("the resume starts at %.4s; the first session got %d messages (read or in its kernel), so want %.4s",
			first, len(got), want)
	}
	for i := len(got) + 1; i < total; i++ {
		if m := again.readPush(t)[2]; m != payload(i) {
			t.Fatalf("resumed message %d: %.4s", i, m)
		}
	}
}

// windowConn is a raw RESP client whose socket has a 4 KiB receive
// buffer.
type windowConn struct {
	nc *net.TCPConn
	r  *bufio.Reader
}

func dialNamedWindow(t *testing.T, addr string) *windowConn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 4096) })
	}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	// A small bufio buffer: what the test has not parsed stays in the kernel.
	return &windowConn{nc: nc.(*net.TCPConn), r: bufio.NewReaderSize(nc, 16)}
}

func (c *windowConn) send(t *testing.T, args ...string) {
	t.Helper()
	var b []byte
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, "\r\n"...)
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, "\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	if _, err := c.nc.Write(b); err != nil {
		t.Fatal(err)
	}
}

func (c *windowConn) expectLine(t *testing.T, want string) {
	t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := c.r.ReadString('\n')
	if err != nil || line != want+"\r\n" {
		t.Fatalf("got %q %v, want %q", line, err, want)
	}
}

// readPush reads one RESP2 array of bulk strings.
func (c *windowConn) readPush(t *testing.T) []string {
	t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	parts, err := parsePush(c.r)
	if err != nil {
		t.Fatal(err)
	}
	return parts
}

// parsePush parses a RESP2 array of bulk strings and integers.
func parsePush(r *bufio.Reader) ([]string, error) {
	head, err := r.ReadString('\n')
	if err != nil || len(head) < 4 || head[0] != '*' {
		return nil, fmt.Errorf("array header %q: %v", head, err)
	}
	n, _ := strconv.Atoi(head[1 : len(head)-2])
	out := make([]string, 0, n)
	for range n {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		switch line[0] {
		case ':':
			out = append(out, line[1:len(line)-2])
		case '$':
			size, _ := strconv.Atoi(line[1 : len(line)-2])
			b := make([]byte, size+2)
			if _, err := io.ReadFull(r, b); err != nil {
				return nil, err
			}
			out = append(out, string(b[:size]))
		default:
			return nil, fmt.Errorf("element %q", line)
		}
	}
	return out, nil
}

// peekStable waits until the bytes queued in the client's kernel stop
// changing (the window is full), and returns them without consuming them.
func (c *windowConn) peekStable(t *testing.T) []byte {
	t.Helper()
	rc, err := c.nc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	queued := func() (n int) {
		_ = rc.Control(func(fd uintptr) { n, _ = unix.IoctlGetInt(int(fd), unix.SIOCINQ) })
		return n
	}
	last, stable := -1, 0
	for stable < 20 {
		time.Sleep(10 * time.Millisecond)
		if n := queued(); n == last {
			stable++
		} else {
			last, stable = n, 0
		}
	}
	buf := make([]byte, last)
	var n int
	var rerr error
	_ = rc.Read(func(fd uintptr) bool {
		n, _, rerr = unix.Recvfrom(int(fd), buf, unix.MSG_PEEK|unix.MSG_DONTWAIT)
		return true
	})
	if rerr != nil || n != last {
		t.Fatalf("peek %d of %d bytes: %v", n, last, rerr)
	}
	return buf
}

// completePushes parses the complete messages in what bufio already holds
// followed by the kernel's bytes; a message cut at the end is not one.
func completePushes(buffered int, kernel []byte, r *bufio.Reader) []string {
	held, _ := r.Peek(buffered)
	all := bufio.NewReader(bytes.NewReader(append(bytes.Clone(held), kernel...)))
	var out []string
	for {
		parts, err := parsePush(all)
		if err != nil || len(parts) != 3 {
			return out
		}
		out = append(out, parts[2])
	}
}

// abort closes the connection with a reset (SO_LINGER 0), unread data
// and all.
func (c *windowConn) abort(t *testing.T) {
	t.Helper()
	if err := c.nc.SetLinger(0); err != nil {
		t.Fatal(err)
	}
	_ = c.nc.Close()
}
