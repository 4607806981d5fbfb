package resp

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestApproxTrimMatchesRedis replays random sequences of appends (values of
// many sizes, integer-like strings, changing field sets), XDELs and
// approximate trims (MAXLEN ~ and MINID ~, with and without LIMIT, by XTRIM
// and by XADD) on redis-server and on rewind, and compares every reply: an
// approximate trim removes whole nodes, so the counts agree only if rewind
// ends its nodes where Redis does (stream-node-max-entries and
// stream-node-max-bytes, with listpack sizes).
func TestApproxTrimMatchesRedis(t *testing.T) {
	redisAddr := startRedis(t)
	ts := startServerForKeysTest(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	clients := []*redis.Client{redis.NewClient(&redis.Options{Addr: redisAddr}), redis.NewClient(&redis.Options{Addr: ts.addr})}
	for _, c := range clients {
		defer c.Close()
	}
	for seed := uint64(1); seed <= 6; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		for _, c := range clients {
			if err := c.Del(ctx, "s").Err(); err != nil {
				t.Fatal(err)
			}
		}
		ms, trims := uint64(1), 0
		for step := 0; step < 1500; step++ {
			cmd := randomStreamOp(rng, &ms)
			var got [2]string
			for i, c := range clients {
				v, err := c.Do(ctx, cmd...).Result()
				got[i] = fmt.Sprint(v, err)
			}
			if strings.HasPrefix(fmt.Sprint(cmd[0]), "XTRIM") && got[0] != "0 <nil>" {
				trims++
			}
			if got[0] != got[1] {
				t.Fatalf("seed %d step %d: %v\n  redis:  %s\n  rewind: %s", seed, step, cmd, got[0], got[1])
			}
		}
		if trims < 10 {
			t.Fatalf("seed %d: only %d trims removed anything: the test proves little", seed, trims)
		}
		for _, probe := range [][]any{{"XLEN", "s"}, {"XRANGE", "s", "-", "+", "COUNT", "1"}} {
			a, _ := clients[0].Do(ctx, probe...).Result()
			b, _ := clients[1].Do(ctx, probe...).Result()
			if fmt.Sprint(a) != fmt.Sprint(b) {
				t.Fatalf("seed %d: %v: redis %v, rewind %v", seed, probe, a, b)
			}
		}
	}
}

// randomStreamOp returns a random XADD, XDEL or trim on stream "s"; ms is
// the next entry's time (IDs are explicit so both servers agree).
func randomStreamOp(rng *rand.Rand, ms *uint64) []any {
	switch r := rng.IntN(100); {
	case r < 8:
		return []any{"XDEL", "s", fmt.Sprintf("%d-0", 1+rng.Uint64N(*ms))}
	case r < 14:
		return []any{"XTRIM", "s", "MAXLEN", "~", strconv.Itoa(rng.IntN(400))}
	case r < 17:
		return []any{"XTRIM", "s", "MINID", "~", fmt.Sprintf("%d-0", 1+rng.Uint64N(*ms))}
	case r < 19:
		return []any{"XTRIM", "s", "MAXLEN", "~", strconv.Itoa(rng.IntN(200)), "LIMIT", strconv.Itoa(rng.IntN(300))}
	}
	id := fmt.Sprintf("%d-%d", *ms, rng.IntN(3))
	*ms += 1 + rng.Uint64N(3)
	cmd := []any{"XADD", "s"}
	if rng.IntN(10) == 0 {
		cmd = append(cmd, "MAXLEN", "~", strconv.Itoa(50+rng.IntN(300)))
	}
	cmd = append(cmd, id)
	fields := []string{"f"}
	switch rng.IntN(6) {
	case 0:
		fields = []string{"a", "b"}
	case 1:
		fields = []string{"f", "g", "h"}
	case 2:
		fields = []string{strconv.Itoa(rng.IntN(1000))} // an integer field name
	}
	for _, f := range fields {
		cmd = append(cmd, f, randomValue(rng))
	}
	return cmd
}

// randomValue is a value of one of the sizes and shapes that change how a
// listpack stores it.
func randomValue(rng *rand.Rand) string {
	switch rng.IntN(8) {
	case 0:
		return strconv.Itoa(rng.IntN(128)) // a 7-bit integer
	case 1:
		return strconv.FormatInt(rng.Int64()-1<<62, 10) // a large integer
	case 2:
		return "-" + strconv.Itoa(1+rng.IntN(5000))
	case 3:
		return "0" + strconv.Itoa(rng.IntN(100)) // not canonical: a string
	case 4:
		return strings.Repeat("x", 60+rng.IntN(10)) // around the 6-bit string limit
	case 5:
		return strings.Repeat("y", rng.IntN(600))
	case 6:
		return strings.Repeat("z", 4000+rng.IntN(200)) // around a whole node
	}
	return "v"
}

// TestNodeLimitsSurviveRestart: CONFIG SET stream-node-max-entries and
// -bytes are stored with the log, so a restart keeps them, and the nodes
// already written keep their boundaries.
func TestNodeLimitsSurviveRestart(t *testing.T) {
	ts := startServerForKeysTest(t, nil)
	ctx := keysCtx(t)
	rdb := ts.client(2)
	ktOK(t, rdb.ConfigSet(ctx, "stream-node-max-entries", "3"))
	ktOK(t, rdb.ConfigSet(ctx, "stream-node-max-bytes", "2mb"))
	for i := 1; i <= 10; i++ {
		ktXAdd(t, rdb, "s", fmt.Sprintf("%d-1", i))
	}
	ts.restart()
	rdb = ts.client(2)
	got := ktOK(t, rdb.ConfigGet(ctx, "stream-node-max-*")).Val()
	if got["stream-node-max-entries"] != "3" || got["stream-node-max-bytes"] != "2097152" {
		t.Fatalf("after a restart: %v", got)
	}
	ktXAdd(t, rdb, "s", "11-1") // joins the node of entry 10
	// Nodes: 1-3, 4-6, 7-9, 10-11; MAXLEN ~ 4 removes the first two.
	if n := ktOK(t, rdb.XTrimMaxLenApprox(ctx, "s", 4, 0)).Val(); n != 6 {
		t.Fatalf("XTRIM MAXLEN ~ 4 after a restart removed %d, want 6", n)
	}
	if n := ktOK(t, rdb.XTrimMaxLenApprox(ctx, "s", 2, 0)).Val(); n != 3 {
		t.Fatalf("XTRIM MAXLEN ~ 2 removed %d, want 3", n)
	}
}
