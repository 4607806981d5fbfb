package resp

import (
	"bytes"

	"github.com/rewind-mq/rewind/broker"
)

// rewind's extension of consumer groups: broker-side redelivery and a
// limit on pending entries. XGROUP CREATE takes the options ACKWAIT ms,
// BACKOFF ms[,ms...], MAXDELIVER n, DEADLETTER channel and MAXPENDING n
// (0: the server's --max-pending-per-group); XGROUP SETCONFIG key group
// [options] replaces a group's policy (no option: back to plain Redis
// behaviour, under the server's pending limit) and XGROUP GETCONFIG key
// group shows it. Clients that use none of them see Redis.
func init() {
	xgroup := commandTable["xgroup"]
	for _, sub := range []*command{
		{name: "setconfig", arity: -4, flags: flagWrite, firstKey: 2, lastKey: 2, keyStep: 1, group: "stream", since: "rewind",
			summary: "Sets a consumer group's redelivery policy and pending limit: ACKWAIT, BACKOFF, MAXDELIVER, DEADLETTER, MAXPENDING.", run: cmdXGroupSetConfig},
		{name: "getconfig", arity: 4, flags: flagReadonly, firstKey: 2, lastKey: 2, keyStep: 1, group: "stream", since: "rewind",
			summary: "Returns a consumer group's redelivery policy and pending limit.", run: cmdXGroupGetConfig},
	} {
		sub.parent = xgroup
		xgroup.subs[sub.name] = sub
	}
}

func isConfigOption(b []byte) bool {
	return eq(b, "ackwait") || eq(b, "backoff") || eq(b, "maxdeliver") || eq(b, "deadletter") || eq(b, "maxpending")
}

// parseConfigOption applies one "OPTION value" pair to cfg.
func parseConfigOption(cfg *broker.GroupConfig, opt, val []byte) error {
	switch {
	case eq(opt, "ackwait"):
		n, ok := parseInt64(val)
		if !ok || n < 0 {
			return errAckWait
		}
		cfg.AckWaitMs = n
	case eq(opt, "maxdeliver"):
		n, ok := parseInt64(val)
		if !ok || n < 0 {
			return errMaxDeliver
		}
		cfg.MaxDeliver = n
	case eq(opt, "deadletter"):
		cfg.DeadLetter = string(val)
	case eq(opt, "maxpending"):
		n, ok := parseInt64(val)
		if !ok || n < 0 {
			return errMaxPending
		}
		cfg.MaxPending = n
	case eq(opt, "backoff"):
		cfg.BackoffMs = cfg.BackoffMs[:0]
		for _, part := range bytes.Split(val, []byte(",")) {
			n, ok := parseInt64(part)
			if !ok || n <= 0 {
				return errBackoff
			}
			cfg.BackoffMs = append(cfg.BackoffMs, n)
		}
	default:
		return errSyntax
	}
	return nil
}

func cmdXGroupSetConfig(c *conn, args [][]byte) {
	cfg := &broker.GroupConfig{}
	rest := args[4:]
	if len(rest)%2 != 0 {
		c.writeError(errSyntax)
		return
	}
	for i := 0; i < len(rest); i += 2 {
		if err := parseConfigOption(cfg, rest[i], rest[i+1]); err != nil {
			c.writeError(err)
			return
		}
	}
	res := c.doGroup(1, nil, func(int) int { return c.req.SetGroupConfig(args[2], args[3], cfg) })
	if res[0].err != nil {
		c.xgroupErr(res[0].err, args[2], args[3])
		return
	}
	c.w.OK()
}

func cmdXGroupGetConfig(c *conn, args [][]byte) {
	if _, ok := c.s.b.Meta(args[2]); !ok {
		c.writeError(broker.ErrGroupNeedsStream)
		return
	}
	g, ok := c.s.b.Group(args[2], args[3])
	if !ok {
		c.w.Error(broker.NoSuchGroupReply(args[2], args[3]))
		return
	}
	cfg := g.Config
	c.w.Map(5)
	c.w.BulkString("ackwait")
	c.w.Int(cfg.AckWaitMs)
	c.w.BulkString("backoff")
	c.w.Array(len(cfg.BackoffMs))
	for _, b := range cfg.BackoffMs {
		c.w.Int(b)
	}
	c.w.BulkString("maxdeliver")
	c.w.Int(cfg.MaxDeliver)
	c.w.BulkString("deadletter")
	c.w.BulkString(cfg.DeadLetter)
	c.w.BulkString("maxpending")
	c.w.Int(cfg.MaxPending) // 0: the server's default
}
