package resp

import (
	"errors"
	"strings"
)

// rewind's own commands (not in Redis 7; the names do not collide with any
// Redis command).
//
// RETENTION SET channel [MAXAGE ms] [MAXLEN n] [MAXBYTES n] [INTEREST ON|OFF]
//
//	sets the channel's own retention limits, creating the channel if it
//	does not exist. 0 means "use the server default" (rewind serve
//	--retention-*), -1 means "no limit" whatever the default. Options not
//	given keep their current value. The background retention pass trims
//	to the new limits; nothing is trimmed by the command itself. INTEREST ON
//	keeps entries a consumer group has not acknowledged (or not read) past
//	MAXAGE and MAXLEN; MAXBYTES still bounds the channel.
//
// RETENTION GET channel
//
//	replies a map: maxage, maxlen, maxbytes as set on the channel (0, -1 or
//	a limit), and effective-maxage, effective-maxlen, effective-maxbytes:
//	the limits in force once defaults apply, -1 meaning no limit.
//
// Setting is a read-modify-write of the three limits: two clients setting
// different options of one channel at the same moment may lose one change.

func init() {
	register(
		&command{name: "retention", arity: -2, group: "server", since: "0.1.0",
			summary: "A container for per-channel retention commands.", subs: map[string]*command{
				"set": {name: "set", arity: -5, flags: flagWrite | flagDenyOOM, firstKey: 2, lastKey: 2, keyStep: 1,
					group: "server", since: "0.1.0", summary: "Sets a channel's retention limits, creating the channel if it doesn't exist.",
					run: cmdRetentionSet},
				"get": {name: "get", arity: 3, flags: flagReadonly | flagFast, firstKey: 2, lastKey: 2, keyStep: 1,
					group: "server", since: "0.1.0", summary: "Returns a channel's retention limits and the limits in force.",
					run: cmdRetentionGet},
				"help": {name: "help", arity: 2, flags: flagLoading | flagStale, group: "server", since: "0.1.0",
					summary: "Returns helpful text about the different subcommands.", run: cmdRetentionHelp},
			}},
	)
	limit := func(token string) docArg {
		return docArg{name: strings.ToLower(token), typ: "integer", token: token, flags: "optional"}
	}
	redisCommandDocs["retention|set"] = &commandDoc{
		arity: -5, flags: "write denyoom", acl: "@write @slow", firstKey: 2, lastKey: 2, keyStep: 1,
		summary: "Sets a channel's retention limits, creating the channel if it doesn't exist.", since: "0.1.0", group: "server",
		complexity: "O(1)",
		keySpecs:   []keySpec{{flags: "RW update", index: 2, find: keysRange, a: 0, b: 1, c: 0}},
		args: []docArg{
			{name: "channel", typ: "key", keySpec: 1},
			limit("MAXAGE"), limit("MAXLEN"), limit("MAXBYTES"),
		},
	}
	redisCommandDocs["retention|get"] = &commandDoc{
		arity: 3, flags: "readonly fast", acl: "@read @fast", firstKey: 2, lastKey: 2, keyStep: 1,
		summary: "Returns a channel's retention limits and the limits in force.", since: "0.1.0", group: "server",
		complexity: "O(1)",
		keySpecs:   []keySpec{{flags: "RO access", index: 2, find: keysRange, a: 0, b: 1, c: 0}},
		args:       []docArg{{name: "channel", typ: "key", keySpec: 1}},
	}
}

// parseRetentionLimit parses a limit: -1, 0 or positive.
func parseRetentionLimit(opt string, b []byte) (int64, error) {
	n, ok := parseInt64(b)
	if !ok {
		return 0, errNotInteger
	}
	if n < -1 {
		return 0, errors.New(opt + " must be -1 (no limit), 0 (the server default) or positive")
	}
	return n, nil
}

func cmdRetentionSet(c *conn, args [][]byte) {
	opts := args[3:]
	if len(opts)%2 != 0 {
		c.failWrite(errSyntax)
		return
	}
	c.drain() // read the limits this connection's earlier writes left
	m, _ := c.s.b.Meta(args[2])
	r := m.Retention
	for i := 0; i < len(opts); i += 2 {
		if eq(opts[i], "interest") {
			switch {
			case eq(opts[i+1], "on"), eq(opts[i+1], "1"):
				r.Interest = true
			case eq(opts[i+1], "off"), eq(opts[i+1], "0"):
				r.Interest = false
			default:
				c.writeError(errInterestOnOff)
				return
			}
			continue
		}
		var dst *int64
		switch {
		case eq(opts[i], "maxage"):
			dst = &r.MaxAgeMs
		case eq(opts[i], "maxlen"):
			dst = &r.MaxLen
		case eq(opts[i], "maxbytes"):
			dst = &r.MaxBytes
		default:
			c.writeError(errSyntax)
			return
		}
		n, err := parseRetentionLimit(strings.ToUpper(string(opts[i])), opts[i+1])
		if err != nil {
			c.writeError(err)
			return
		}
		*dst = n
	}
	c.queued(replyOK, c.req.SetRetention(args[2], r))
}

func cmdRetentionGet(c *conn, args [][]byte) {
	m, ok := c.s.b.Meta(args[2])
	if !ok {
		c.w.Error(noSuchKeyError)
		return
	}
	own := m.Retention
	eff := own.Effective(c.s.b.Config().Retention)
	noLimit := func(n int64) int64 {
		if n <= 0 {
			return -1
		}
		return n
	}
	c.w.Map(7)
	c.w.BulkString("interest")
	c.w.Bool(own.Interest)
	for _, kv := range []struct {
		key string
		n   int64
	}{
		{"maxage", own.MaxAgeMs}, {"maxlen", own.MaxLen}, {"maxbytes", own.MaxBytes},
		{"effective-maxage", noLimit(eff.MaxAgeMs)}, {"effective-maxlen", noLimit(eff.MaxLen)},
		{"effective-maxbytes", noLimit(eff.MaxBytes)},
	} {
		c.w.BulkString(kv.key)
		c.w.Int(kv.n)
	}
}

func cmdRetentionHelp(c *conn, _ [][]byte) {
	c.helpReply("RETENTION",
		"SET <channel> [MAXAGE <ms>] [MAXLEN <count>] [MAXBYTES <bytes>] [INTEREST ON|OFF]",
		"    Set the channel's retention limits (created if missing). 0: the server",
		"    default; -1: no limit. Limits not given keep their value.",
		"GET <channel>",
		"    Return the channel's limits and the effective limits after defaults",
		"    (-1: no limit).")
}
