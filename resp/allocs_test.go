package resp

import (
	"bufio"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestPublishAllocsPerMessage measures the server's heap allocations per
// pipelined PUBLISH in steady state (the hot path: parse, propose, commit,
// reply). The budget is well under one allocation per message: the batch
// and the fsync cost a few, each message none.
func TestPublishAllocsPerMessage(t *testing.T) {
	testPublishAllocs(t, nil, 0.25)
}

// TestPublishAllocsPerMessageWithPatterns: the same with pattern
// subscribers, one matching the channel: their matches are cached, so
// neither the publisher nor fan-out allocates per message. (The matching
// subscriber's writes cost a few allocations per batch: about 0.1 more
// per message than without it, on main before the cache too.)
func TestPublishAllocsPerMessageWithPatterns(t *testing.T) {
	testPublishAllocs(t, []string{"ne*s", "sport.*", "*[xyz]"}, 0.4)
}

func testPublishAllocs(t *testing.T, patterns []string, budget float64) {
	if testing.Short() || raceEnabledResp {
		t.Skip("allocation counts are meaningful without -race only")
	}
	ts := startServerForKeysTest(t, nil)
	want := ":0\r\n"
	if len(patterns) > 0 {
		subscribePatterns(t, ts.addr, patterns)
		want = ":1\r\n" // ne*s
	}
	const batch, rounds = 200, 50
	perMsg := float64(publishMallocs(t, ts.addr, want, batch, rounds)) / float64(batch*rounds)
	t.Logf("%.3f allocations per PUBLISH (whole process, %d messages)", perMsg, batch*rounds)
	if perMsg > budget {
		t.Fatalf("%.2f allocations per PUBLISH, want well under 1", perMsg)
	}
}

// publishMallocs pipelines rounds of batch PUBLISHes of 100 bytes to
// "news" on a connection of its own, each reply being want, and returns
// the process's heap allocations over the rounds (after ten to warm up).
func publishMallocs(t *testing.T, addr, want string, batch, rounds int) uint64 {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	rd := bufio.NewReader(nc)
	cmd := "*3\r\n$7\r\nPUBLISH\r\n$4\r\nnews\r\n$100\r\n" + strings.Repeat("x", 100) + "\r\n"
	pipeline := []byte(strings.Repeat(cmd, batch))
	round := func() {
		if _, err := nc.Write(pipeline); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < batch; i++ {
			if line, err := rd.ReadSlice('\n'); err != nil || string(line) != want {
				t.Fatalf("reply %q, %v", line, err)
			}
		}
	}
	for i := 0; i < 10; i++ {
		round() // warm up buffers and pools
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < rounds; i++ {
		round()
	}
	runtime.ReadMemStats(&after)
	return after.Mallocs - before.Mallocs
}

// TestFanoutAllocsPerDelivery measures the server's heap allocations per
// message delivered to reading subscribers in steady state (the fan-out hot
// path: encode once per run, copy into each subscriber's chunks, one write
// per batch). The budget is well under one allocation per delivery: a
// batch costs each subscriber a few (its writer goroutine), a message none.
func TestFanoutAllocsPerDelivery(t *testing.T) {
	if testing.Short() || raceEnabledResp {
		t.Skip("allocation counts are meaningful without -race only")
	}
	ts := startServerForKeysTest(t, nil)
	const subscribers, batch, rounds = 4, 200, 50
	for i := 0; i < subscribers; i++ {
		sub := dialRaw(t, ts.addr)
		sub.do("SUBSCRIBE", "news")
		go func() { _, _ = io.Copy(io.Discard, sub.nc) }()
	}
	mallocs := publishMallocs(t, ts.addr, ":"+strconv.Itoa(subscribers)+"\r\n", batch, rounds)
	perDelivery := float64(mallocs) / float64(subscribers*batch*rounds)
	t.Logf("%.3f allocations per delivery (whole process, %d deliveries)", perDelivery, subscribers*batch*rounds)
	if perDelivery > 0.1 {
		t.Fatalf("%.2f allocations per delivery, want well under 1", perDelivery)
	}
}

// subscribePatterns subscribes a raw connection to patterns, waits for the
// confirmations and then discards what it receives.
func subscribePatterns(t *testing.T, addr string, patterns []string) {
	sub, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Close() })
	args := []string{"PSUBSCRIBE"}
	cmd := "*" + strconv.Itoa(len(patterns)+1) + "\r\n"
	for _, a := range append(args, patterns...) {
		cmd += "$" + strconv.Itoa(len(a)) + "\r\n" + a + "\r\n"
	}
	if _, err := sub.Write([]byte(cmd)); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(sub)
	for i := 0; i < len(patterns)*6; i++ { // *3, $10, psubscribe, $n, pattern, :n
		if _, err := rd.ReadSlice('\n'); err != nil {
			t.Fatal(err)
		}
	}
	go io.Copy(io.Discard, rd)
}
