package resp

import (
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/rewind-mq/rewind/broker"
)

// Keyspace commands. Every channel is one stream key in database 0, so
// TYPE is "stream" or "none", and nothing expires (TTL is -1). DEL and
// UNLINK drop a channel's whole log, durably, before they answer.

func init() {
	register(
		&command{name: "del", arity: -2, flags: flagWrite, firstKey: 1, lastKey: -1, keyStep: 1,
			group: "generic", since: "1.0.0", summary: "Deletes one or more keys.", run: cmdDel},
		&command{name: "unlink", arity: -2, flags: flagWrite | flagFast, firstKey: 1, lastKey: -1, keyStep: 1,
			group: "generic", since: "4.0.0", summary: "Asynchronously deletes one or more keys.", run: cmdDel},
		&command{name: "exists", arity: -2, flags: flagReadonly | flagFast, firstKey: 1, lastKey: -1, keyStep: 1,
			group: "generic", since: "1.0.0", summary: "Determines whether one or more keys exist.", run: cmdExists},
		&command{name: "type", arity: 2, flags: flagReadonly | flagFast, firstKey: 1, lastKey: 1, keyStep: 1,
			group: "generic", since: "1.0.0", summary: "Determines the type of value stored at a key.", run: cmdType},
		&command{name: "keys", arity: 2, flags: flagReadonly, group: "generic", since: "1.0.0",
			summary: "Returns all key names that match a pattern.", run: cmdKeys},
		&command{name: "scan", arity: -2, flags: flagReadonly, group: "generic", since: "2.8.0",
			summary: "Iterates over the key names in the database.", run: cmdScan},
		&command{name: "randomkey", arity: 1, flags: flagReadonly, group: "generic", since: "1.0.0",
			summary: "Returns a random key name from the database.", run: cmdRandomKey},
		&command{name: "ttl", arity: 2, flags: flagReadonly | flagFast, firstKey: 1, lastKey: 1, keyStep: 1,
			group: "generic", since: "1.0.0", summary: "Returns the expiration time in seconds of a key.", run: cmdTTL},
		&command{name: "pttl", arity: 2, flags: flagReadonly | flagFast, firstKey: 1, lastKey: 1, keyStep: 1,
			group: "generic", since: "2.6.0", summary: "Returns the expiration time in milliseconds of a key.", run: cmdTTL},
	)
}

// cmdDel serves DEL and UNLINK: one drop per key, in this connection's
// request; the reply counts the channels that existed. A key named twice
// counts once, as in Redis.
func cmdDel(c *conn, args [][]byte) {
	from := c.req.Len()
	for _, key := range args[1:] {
		c.req.Notify(c.req.Drop(key))
	}
	c.queued(replyCount, from)
}

// cmdExists counts the keys that exist; a key named twice counts twice.
func cmdExists(c *conn, args [][]byte) {
	var n int64
	for _, key := range args[1:] {
		if _, ok := c.s.b.Meta(key); ok {
			n++
		}
	}
	c.w.Int(n)
}

func cmdType(c *conn, args [][]byte) {
	if _, ok := c.s.b.Meta(args[1]); ok {
		c.w.Simple("stream")
		return
	}
	c.w.Simple("none")
}

// cmdTTL serves TTL and PTTL: channels never expire.
func cmdTTL(c *conn, args [][]byte) {
	if _, ok := c.s.b.Meta(args[1]); ok {
		c.w.Int(-1)
		return
	}
	c.w.Int(-2)
}

// channelNames returns every channel's name.
func (s *Server) channelNames() []string {
	var names []string
	s.b.Channels(func(ci broker.ChannelInfo) bool {
		names = append(names, ci.Name)
		return true
	})
	return names
}

// cmdKeys lists the channels matching a glob pattern, sorted. As in Redis,
// the pattern "*" skips the matcher.
func cmdKeys(c *conn, args [][]byte) {
	pattern := args[1]
	all := len(pattern) == 1 && pattern[0] == '*'
	var out []string
	for _, name := range c.s.channelNames() {
		if all || broker.MatchPattern(pattern, []byte(name)) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	c.w.Array(len(out))
	for _, name := range out {
		c.w.BulkString(name)
	}
}

// cmdRandomKey replies a channel chosen uniformly, or null when there is
// none.
func cmdRandomKey(c *conn, _ [][]byte) {
	var pick string
	seen := 0
	c.s.b.Channels(func(ci broker.ChannelInfo) bool {
		seen++
		if rand.IntN(seen) == 0 { // reservoir sampling
			pick = ci.Name
		}
		return true
	})
	if seen == 0 {
		c.w.Null()
		return
	}
	c.w.BulkString(pick)
}

// scanHash orders channels for SCAN. It is fixed (FNV-1a), so a cursor stays
// valid across calls, connections and restarts.
func scanHash(name string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return h.Sum64()
}

// parseCursor parses a SCAN cursor as Redis does (strtoul): an optional
// sign, then decimal digits; "-1" is the largest cursor, "" is 0.
func parseCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	s, neg := string(b), false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		s, neg = s[1:], s[0] == '-'
	}
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// scanOptions are SCAN's MATCH, COUNT and TYPE.
type scanOptions struct {
	pattern    []byte // nil: every name
	count      int
	typeFilter []byte
	hasType    bool
}

// parseScanOptions parses SCAN's options from args[2:] as Redis does.
func parseScanOptions(args [][]byte) (scanOptions, error) {
	o := scanOptions{count: 10}
	for i := 2; i < len(args); i += 2 {
		if len(args)-i < 2 {
			return o, errSyntax
		}
		switch {
		case eq(args[i], "count"):
			n, ok := parseInt64(args[i+1])
			if !ok {
				return o, errNotInteger
			}
			if n < 1 {
				return o, errSyntax
			}
			o.count = int(min(n, 1<<30))
		case eq(args[i], "match"):
			o.pattern = args[i+1]
			if len(o.pattern) == 1 && o.pattern[0] == '*' {
				o.pattern = nil
			}
		case eq(args[i], "type"):
			o.typeFilter, o.hasType = args[i+1], true
		default:
			return o, errSyntax
		}
	}
	return o, nil
}

// cmdScan serves SCAN cursor [MATCH pattern] [COUNT n] [TYPE type].
//
// The cursor is a position in a fixed hash order of channel names: a call
// returns the next COUNT names whose hash is at least the cursor (all names
// sharing the last hash included), and the hash of the first name it did
// not return as the next cursor, or 0 at the end. So every channel that
// exists for the whole scan is returned exactly once, whatever is created
// or deleted meanwhile; channels created or deleted during the scan may or
// may not be returned. As in Redis, MATCH and TYPE filter after COUNT
// names were taken, so a call may return fewer names, even none, before the
// end. Each call costs O(channels).
func cmdScan(c *conn, args [][]byte) {
	cursor, ok := parseCursor(args[1])
	if !ok {
		c.w.Error(replyInvalidCursor)
		return
	}
	o, err := parseScanOptions(args)
	if err != nil {
		c.writeError(err)
		return
	}
	type hashed struct {
		hash uint64
		name string
	}
	var rest []hashed
	c.s.b.Channels(func(ci broker.ChannelInfo) bool {
		if h := scanHash(ci.Name); h >= cursor {
			rest = append(rest, hashed{h, ci.Name})
		}
		return true
	})
	slices.SortFunc(rest, func(a, b hashed) int {
		if a.hash != b.hash {
			if a.hash < b.hash {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	n := min(o.count, len(rest))
	for n < len(rest) && n > 0 && rest[n].hash == rest[n-1].hash {
		n++ // never split names that share a hash across calls
	}
	next := uint64(0)
	if n < len(rest) {
		next = rest[n].hash
	}
	streams := !o.hasType || eq(o.typeFilter, "stream")
	var out []string
	for _, h := range rest[:n] {
		if streams && (o.pattern == nil || broker.MatchPattern(o.pattern, []byte(h.name))) {
			out = append(out, h.name)
		}
	}
	c.w.Array(2)
	c.w.BulkString(strconv.FormatUint(next, 10))
	c.w.Array(len(out))
	for _, name := range out {
		c.w.BulkString(name)
	}
}
