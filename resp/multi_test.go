package resp

import (
	"context"
	"errors"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestMultiExec(t *testing.T) {
	for _, proto := range []int{2, 3} {
		t.Run(map[int]string{2: "RESP2", 3: "RESP3"}[proto], func(t *testing.T) {
			addr, _ := startServer(t)
			ctx := testCtx(t)
			c := newClientProto(t, addr, proto)
			sub := newClient(t, addr).Subscribe(ctx, "tx")
			defer sub.Close()
			expectSubscription(t, sub, "subscribe", "tx", 1)

			var pub *redis.IntCmd
			var add *redis.StringCmd
			var rng *redis.XMessageSliceCmd
			cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
				pub = p.Publish(ctx, "tx", "in a transaction")
				add = p.XAdd(ctx, &redis.XAddArgs{Stream: "tx", ID: "99999999999999-0", Values: []string{"f", "v"}})
				rng = p.XRange(ctx, "tx", "-", "+")
				return nil
			})
			if err != nil || len(cmds) != 3 {
				t.Fatalf("EXEC: %v, %v", cmds, err)
			}
			if pub.Val() != 1 || add.Val() != "99999999999999-0" {
				t.Fatalf("PUBLISH = %d, XADD = %s", pub.Val(), add.Val())
			}
			// The XRANGE inside the transaction sees the writes before it.
			if xs := rng.Val(); len(xs) != 2 || xs[0].Values["message"] != "in a transaction" || xs[1].ID != "99999999999999-0" {
				t.Fatalf("XRANGE in EXEC = %v", xs)
			}
			expectMessage(t, sub, "", "tx", "in a transaction")
			expectMessage(t, sub, "", "tx", `{"f":"v"}`)

			// A runtime error is one element of EXEC's reply; the other
			// commands still run.
			cmds, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.XAdd(ctx, &redis.XAddArgs{Stream: "tx", ID: "1-1", Values: []string{"f", "v"}})
				p.XLen(ctx, "tx")
				return nil
			})
			if err == nil || len(cmds) != 2 || cmds[0].Err() == nil || cmds[1].(*redis.IntCmd).Val() != 2 {
				t.Fatalf("EXEC with a failing XADD: %v, %v", cmds, err)
			}
		})
	}
}

// TestMultiRaw checks MULTI's replies byte for byte: queuing, DISCARD,
// EXECABORT after a queuing error, nesting, and WATCH.
func TestMultiRaw(t *testing.T) {
	addr, _ := startServer(t)
	rc := dialRaw(t, addr)
	other := dialRaw(t, addr)
	steps := []struct {
		c    *rawConn
		cmd  string
		want string
	}{
		{rc, "EXEC", errReply("ERR EXEC without MULTI")},
		{rc, "DISCARD", errReply("ERR DISCARD without MULTI")},
		{rc, "MULTI", "+OK\r\n"},
		{rc, "MULTI", errReply("ERR MULTI calls can not be nested")},
		{rc, "XADD m 1-1 f v", "+QUEUED\r\n"},
		{rc, "PUBLISH pm hi", "+QUEUED\r\n"},
		{rc, "XLEN m", "+QUEUED\r\n"},
		{rc, "EXEC", arr(3) + bulk("1-1") + integer(0) + integer(1)},
		// DISCARD drops the queued commands.
		{rc, "MULTI", "+OK\r\n"},
		{rc, "XADD m 2-1 f v", "+QUEUED\r\n"},
		{rc, "DISCARD", "+OK\r\n"},
		{rc, "XLEN m", integer(1)},
		// A wrong-arity or unknown command aborts the transaction.
		{rc, "MULTI", "+OK\r\n"},
		{rc, "XADD m 3-1 f v", "+QUEUED\r\n"},
		{rc, "XADD m", errReply("ERR wrong number of arguments for 'xadd' command")},
		{rc, "EXEC", errReply("EXECABORT Transaction discarded because of previous errors.")},
		{rc, "MULTI", "+OK\r\n"},
		{rc, "NOSUCH x", errReply("ERR unknown command 'NOSUCH', with args beginning with: 'x' ")},
		{rc, "EXEC", errReply("EXECABORT Transaction discarded because of previous errors.")},
		{rc, "XLEN m", integer(1)},
		// EXEC with arguments is refused and discards the transaction.
		{rc, "MULTI", "+OK\r\n"},
		{rc, "XADD m 3-1 f v", "+QUEUED\r\n"},
		{rc, "EXEC now", errReply("EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command")},
		{rc, "EXEC", errReply("ERR EXEC without MULTI")},
		{rc, "MULTI", "+OK\r\n"},
		{rc, "WATCH m", errReply("ERR WATCH inside MULTI is not allowed")},
		{rc, "XREAD BLOCK 0 STREAMS m $", "+QUEUED\r\n"},
		{rc, "EXEC", arr(1) + "*-1\r\n"}, // a blocking read inside EXEC does not block
		// WATCH: a change by another client aborts EXEC with a null array.
		{rc, "WATCH m nosuch", "+OK\r\n"},
		{other, "XADD m 4-1 f v", bulk("4-1")},
		{rc, "MULTI", "+OK\r\n"},
		{rc, "XLEN m", "+QUEUED\r\n"},
		{rc, "EXEC", "*-1\r\n"},
		// Creating a watched channel aborts; a change after UNWATCH does not.
		{rc, "WATCH fresh", "+OK\r\n"},
		{other, "XADD fresh 1-1 f v", bulk("1-1")},
		{rc, "MULTI", "+OK\r\n"},
		{rc, "EXEC", "*-1\r\n"},
		{rc, "WATCH m", "+OK\r\n"},
		{rc, "UNWATCH", "+OK\r\n"},
		{other, "XADD m 5-1 f v", bulk("5-1")},
		{rc, "MULTI", "+OK\r\n"},
		{rc, "XLEN m", "+QUEUED\r\n"},
		{rc, "EXEC", arr(1) + integer(3)},
		// An unchanged watched channel lets EXEC run; a no-op XDEL is no change.
		{rc, "WATCH m", "+OK\r\n"},
		{other, "XDEL m 99-9", integer(0)},
		{rc, "MULTI", "+OK\r\n"},
		{rc, "XLEN m", "+QUEUED\r\n"},
		{rc, "EXEC", arr(1) + integer(3)},
		// A PUBLISH aborts too: it appends to the watched channel.
		{rc, "WATCH m", "+OK\r\n"},
		{other, "PUBLISH m x", integer(0)},
		{rc, "MULTI", "+OK\r\n"},
		{rc, "XLEN m", "+QUEUED\r\n"},
		{rc, "EXEC", "*-1\r\n"},
		// RESET leaves MULTI.
		{rc, "MULTI", "+OK\r\n"},
		{rc, "RESET", "+RESET\r\n"},
		{rc, "EXEC", errReply("ERR EXEC without MULTI")},
	}
	for i, s := range steps {
		s.c.write(s.cmd + "\r\n")
		if got := s.c.read(); got != s.want {
			t.Fatalf("step %d %s: got %q, want %q", i, s.cmd, got, s.want)
		}
	}
}

func TestMultiWatchGoRedis(t *testing.T) {
	addr, _ := startServer(t)
	ctx := testCtx(t)
	c := newClient(t, addr)
	other := newClient3(t, addr)
	c.XAdd(ctx, &redis.XAddArgs{Stream: "w", ID: "1-1", Values: []string{"f", "v"}})
	err := c.Watch(ctx, func(tx *redis.Tx) error {
		if err := other.XAdd(ctx, &redis.XAddArgs{Stream: "w", ID: "2-1", Values: []string{"f", "v"}}).Err(); err != nil {
			return err
		}
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.XAdd(ctx, &redis.XAddArgs{Stream: "w", ID: "3-1", Values: []string{"f", "v"}})
			return nil
		})
		return err
	}, "w")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Fatalf("WATCH + change + EXEC: %v, want %v", err, redis.TxFailedErr)
	}
	err = c.Watch(context.Background(), func(tx *redis.Tx) error {
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.XAdd(ctx, &redis.XAddArgs{Stream: "w", ID: "3-1", Values: []string{"f", "v"}})
			return nil
		})
		return err
	}, "w")
	if err != nil {
		t.Fatalf("WATCH + EXEC without change: %v", err)
	}
	if n, _ := c.XLen(ctx, "w").Result(); n != 3 {
		t.Fatalf("XLEN = %d, want 3", n)
	}
}
