package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rewind-mq/rewind/broker"
	"github.com/rewind-mq/rewind/resp"
)

// seedMany appends n entries (IDs 5000-0, 5000-1, ... ten per ms; payloads
// of about size bytes) with one pipelined connection.
func seedMany(t testing.TB, addr, channel string, n, size int) {
	t.Helper()
	c, err := dial(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for done := 0; done < n; {
		k := min(500, n-done)
		for i := done; i < done+k; i++ {
			payload := fmt.Sprintf("%07d %s", i, strings.Repeat("q", max(size-8, 0)))
			c.WriteCommand("XADD", channel, fmt.Sprintf("%d-%d", 5000+i/10, i%10), "message", payload)
		}
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < k; i++ {
			if _, err := c.Read(); err != nil {
				t.Fatal(err)
			}
		}
		done += k
	}
}

// The server path reads with XSTREAM; its output is the same as with XRANGE
// pages, for every flag that shapes the range, over several chunks.
func TestReplayXStreamMatchesPages(t *testing.T) {
	srv := sharedServer(t)
	const n = 5000
	seedMany(t, srv.addr(), "many", n, 200) // ~1.2 MiB: several XSTREAM chunks
	for _, args := range [][]string{
		nil,
		{"--count", "2345"},
		{"--from", "5010-3", "--to", "5400"},
		{"--from", "(5010-3", "--to", "(5400-0"},
		{"--last", "1500"},
		{"--last", "1500", "--count", "700"},
		{"--format", "json", "--from", "5300"},
		{"--from", "9999"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			streamed := mustRun(t, "", srv.on("replay", append([]string{"many"}, args...)...)...)
			paged := mustRun(t, "", srv.on("replay", append([]string{"many", "--no-xstream", "--page-entries", "700"}, args...)...)...)
			if streamed != paged {
				t.Fatalf("XSTREAM output (%d lines) differs from XRANGE pages (%d lines)", strings.Count(streamed, "\n"), strings.Count(paged, "\n"))
			}
			if len(args) == 0 && strings.Count(streamed, "\n") != n {
				t.Fatalf("%d lines, want %d", strings.Count(streamed, "\n"), n)
			}
		})
	}
}

// --follow after an XSTREAM picks up from its last entry.
func TestReplayXStreamFollow(t *testing.T) {
	srv := sharedServer(t)
	seedMany(t, srv.addr(), "follow-many", 3000, 150)
	f := startCLI(t, srv.on("replay", "follow-many", "--follow", "--no-progress")...)
	for i := 0; i < 3000; i++ {
		line := nextLine(t, f.lines, "a stored entry")
		if want := fmt.Sprintf("%07d ", i); !strings.Contains(line, "\t"+want) {
			t.Fatalf("line %d: %q", i, line)
		}
	}
	seedEntries(t, srv.addr(), "follow-many", [][]string{{"9000-0", "message", "new"}})
	if line := nextLine(t, f.lines, "the new entry"); line != "9000-0\tnew" {
		t.Fatalf("followed %q", line)
	}
	_ = f.cmd.Process.Kill()
	f.wait(t)
}

// fakeRedis answers XLEN, XRANGE and XREVRANGE from a fixed list of entries
// and refuses every other command as Redis refuses an unknown one: a server
// without XSTREAM.
type fakeRedis struct {
	ln      net.Listener
	entries []broker.ID
	mu      sync.Mutex
	seen    []string // command names received
}

func startFakeRedis(t *testing.T, n int) *fakeRedis {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeRedis{ln: ln}
	for i := 0; i < n; i++ {
		f.entries = append(f.entries, broker.ID{Ms: uint64(7000 + i/3), Seq: uint64(i % 3)})
	}
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(nc)
		}
	}()
	t.Cleanup(func() { _ = ln.Close() })
	return f
}

func (f *fakeRedis) port() string { return strconv.Itoa(f.ln.Addr().(*net.TCPAddr).Port) }

func (f *fakeRedis) serve(nc net.Conn) {
	defer nc.Close()
	r, w := bufio.NewReader(nc), bufio.NewWriter(nc)
	for {
		args, err := readCommandArgs(r)
		if err != nil {
			return
		}
		name := strings.ToUpper(args[0])
		f.mu.Lock()
		f.seen = append(f.seen, name)
		f.mu.Unlock()
		switch {
		case name == "XLEN":
			fmt.Fprintf(w, ":%d\r\n", len(f.entries))
		case (name == "XRANGE" || name == "XREVRANGE") && len(args) == 6:
			lo, hi := args[2], args[3]
			if name == "XREVRANGE" {
				lo, hi = hi, lo
			}
			start, err1 := resp.ParseRangeID([]byte(lo), false)
			end, err2 := resp.ParseRangeID([]byte(hi), true)
			count, err3 := strconv.Atoi(args[5])
			if err1 != nil || err2 != nil || err3 != nil {
				fmt.Fprintf(w, "-ERR bad range\r\n")
				break
			}
			var sel []broker.ID
			for _, id := range f.entries {
				if !id.Less(start) && !end.Less(id) {
					sel = append(sel, id)
				}
			}
			if name == "XREVRANGE" {
				for i, j := 0, len(sel)-1; i < j; i, j = i+1, j-1 {
					sel[i], sel[j] = sel[j], sel[i]
				}
			}
			sel = sel[:min(count, len(sel))]
			fmt.Fprintf(w, "*%d\r\n", len(sel))
			for _, id := range sel {
				s := id.String()
				fmt.Fprintf(w, "*2\r\n$%d\r\n%s\r\n*2\r\n$7\r\nmessage\r\n$%d\r\nm%s\r\n", len(s), s, len(s)+1, s)
			}
		default:
			fmt.Fprintf(w, "-ERR unknown command '%s', with args beginning with: \r\n", args[0])
		}
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return
			}
		}
	}
}

// readCommandArgs reads one RESP array of bulk strings.
func readCommandArgs(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(line[1:]))
	if err != nil || line[0] != '*' || n < 1 {
		return nil, fmt.Errorf("bad command header %q", line)
	}
	args := make([]string, n)
	for i := range args {
		hdr, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		size, err := strconv.Atoi(strings.TrimSpace(hdr[1:]))
		if err != nil || hdr[0] != '$' {
			return nil, fmt.Errorf("bad bulk header %q", hdr)
		}
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		args[i] = string(buf[:size])
	}
	return args, nil
}

// A server without XSTREAM (Redis, an older rewind) gets XRANGE pages.
func TestReplayFallsBackToXRange(t *testing.T) {
	f := startFakeRedis(t, 2500)
	var want strings.Builder
	for _, id := range f.entries[100:] {
		fmt.Fprintf(&want, "%s\tm%s\n", id, id)
	}
	got := mustRun(t, "", "replay", "ch", "--from", f.entries[100].String(), "-h", "127.0.0.1", "-p", f.port(), "--no-progress")
	if got != want.String() {
		t.Fatalf("replay from a server without XSTREAM: %d lines, want %d", strings.Count(got, "\n"), 2400)
	}
	f.mu.Lock()
	seen := strings.Join(f.seen, " ")
	f.mu.Unlock()
	if !strings.HasPrefix(seen, "XSTREAM XRANGE") {
		t.Fatalf("commands sent: %.80s", seen)
	}
}

// idText writes what ID.Append writes, without allocating once warm.
func TestIDText(t *testing.T) {
	var it idText
	for _, id := range []broker.ID{{}, {Ms: 1, Seq: 0}, {Ms: 1, Seq: 1}, {Ms: 1700000000000, Seq: 99}, {Ms: 1700000000000, Seq: 12345},
		{Ms: 1700000000001, Seq: 0}, {Ms: 1, Seq: 5}, broker.MaxID} {
		if got, want := string(it.format(id)), string(id.Append(nil)); got != want {
			t.Errorf("format(%v) = %q, want %q", id, got, want)
		}
	}
	seq := uint64(0)
	if n := testing.AllocsPerRun(1000, func() {
		seq++
		it.format(broker.ID{Ms: 1700000000000, Seq: seq})
	}); n != 0 {
		t.Errorf("%v allocations per ID", n)
	}
}
