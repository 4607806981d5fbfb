package resp

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rewind-mq/rewind/broker"
)

// TestResumeAfterDeleteAndRecreate: a named subscriber (of a channel and of
// a pattern) whose cursors stand high on a channel that is then deleted and
// created again with lower IDs — across a restart — resumes from the new
// channel's first entry, and while it stays connected, a second delete and
// re-creation still reaches it live. With cursors compared by ID alone, it
// skipped every entry of the new channel.
func TestResumeAfterDeleteAndRecreate(t *testing.T) {
	ts := startServerForKeysTest(t, func(_ *broker.Config, c *Config) { c.ResumeNames = "app-*" })
	ctx := keysCtx(t)
	xadd := func(id, msg string) {
		t.Helper()
		ktOK(t, ts.client(2).XAdd(ctx, &redis.XAddArgs{Stream: "inc.news", ID: id, Values: []string{"message", msg}}))
	}
	subscribe := func() (*redis.PubSub, *redis.PubSub) {
		c := redis.NewClient(&redis.Options{Addr: ts.addr, ClientName: "app-alice"})
		t.Cleanup(func() { c.Close() })
		ch, pat := c.Subscribe(ctx, "inc.news"), c.PSubscribe(ctx, "inc.*")
		for _, ps := range []*redis.PubSub{ch, pat} {
			if _, err := ps.Receive(ctx); err != nil {
				t.Fatal(err)
			}
		}
		return ch, pat
	}
	expect := func(ps *redis.PubSub, want ...string) {
		t.Helper()
		for _, w := range want {
			msg, err := ps.ReceiveTimeout(ctx, 10*time.Second)
			if err != nil {
				t.Fatalf("waiting for %q: %v", w, err)
			}
			if m, ok := msg.(*redis.Message); !ok || m.Payload != w {
				t.Fatalf("got %#v, want message %q", msg, w)
			}
		}
	}

	ch, pat := subscribe()
	xadd("1000-0", "old1")
	xadd("1000-1", "old2")
	expect(ch, "old1", "old2")
	expect(pat, "old1", "old2")
	ch.Close()
	pat.Close()
	waitUntil(t, "cursors saved", func() bool {
		c, ok, _ := ts.b.CursorOf([]byte("app-alice"), []byte("inc.news"))
		base, pc, _ := ts.b.PatternCursors([]byte("app-alice"), []byte("inc.*"))
		return ok && c.ID == (broker.ID{Ms: 1000, Seq: 1}) && base && pc["inc.news"].ID == (broker.ID{Ms: 1000, Seq: 1})
	})

	if n := ts.client(2).Del(ctx, "inc.news").Val(); n != 1 {
		t.Fatalf("DEL: %d", n)
	}
	ts.restart()
	xadd("5-0", "new1")
	xadd("6-0", "new2")
	ch, pat = subscribe()
	expect(ch, "new1", "new2")
	expect(pat, "new1", "new2")

	// Live: the channel goes and comes back with IDs below the cursors.
	if n := ts.client(2).Del(ctx, "inc.news").Val(); n != 1 {
		t.Fatalf("DEL: %d", n)
	}
	xadd("1-0", "newer")
	expect(ch, "newer")
	expect(pat, "newer")
}
