package resp

import (
	"strings"

	"github.com/rewind-mq/rewind/broker"
)

// XINFO: a channel described as Redis describes a stream. rewind keeps no
// radix tree; radix-tree-keys and radix-tree-nodes are what a Redis stream
// of the same length would show with stream-node-max-entries 100 (one key
// per 100 entries, one node more than keys). Consumer groups do not exist
// yet, so every stream has none.

func init() {
	register(
		&command{name: "xinfo", arity: -2, group: "stream", since: "5.0.0",
			summary: "A container for stream introspection commands.", subs: map[string]*command{
				"stream": {name: "stream", arity: -3, flags: flagReadonly, firstKey: 2, lastKey: 2, keyStep: 1,
					group: "stream", since: "5.0.0", summary: "Returns information about a stream.", run: cmdXInfoStream},
				"groups": {name: "groups", arity: 3, flags: flagReadonly, firstKey: 2, lastKey: 2, keyStep: 1,
					group: "stream", since: "5.0.0", summary: "Returns a list of the consumer groups of a stream.", run: cmdXInfoGroups},
				"consumers": {name: "consumers", arity: 4, flags: flagReadonly, firstKey: 2, lastKey: 2, keyStep: 1,
					group: "stream", since: "5.0.0", summary: "Returns a list of the consumers in a consumer group.", run: cmdXInfoConsumers},
				"help": {name: "help", arity: 2, flags: flagLoading | flagStale, group: "stream", since: "5.0.0",
					summary: "Returns helpful text about the different subcommands.", run: cmdXInfoHelp},
			}},
	)
}

// noSuchKeyError is Redis's reply when a command needs an existing key.
const noSuchKeyError = "ERR no such key"

// xinfoSyntaxError is Redis's addReplySubcommandSyntaxError for XINFO.
func (c *conn) xinfoSyntaxError(args [][]byte) {
	c.w.Error("ERR unknown subcommand or wrong number of arguments for '" + clip(args[1]) +
		"'. Try " + strings.ToUpper(string(args[0])) + " HELP.")
}

// cmdXInfoStream serves XINFO STREAM key [FULL [COUNT n]].
func cmdXInfoStream(c *conn, args [][]byte) {
	key := args[2]
	m, ok := c.s.b.Meta(key)
	if !ok {
		c.w.Error(noSuchKeyError)
		return
	}
	opts := args[3:]
	full, count := len(opts) > 0, int64(10)
	if full {
		if (len(opts) != 1 && len(opts) != 3) || !eq(opts[0], "full") || (len(opts) == 3 && !eq(opts[1], "count")) {
			c.xinfoSyntaxError(args)
			return
		}
		if len(opts) == 3 {
			n, ok := parseInt64(opts[2])
			if !ok {
				c.writeError(errNotInteger)
				return
			}
			if n >= 0 {
				count = n
			}
		}
	}
	start := len(c.w.buf)
	if full {
		c.w.Map(9)
	} else {
		c.w.Map(10)
	}
	radixKeys := (m.Length + 99) / 100
	c.w.BulkString("length")
	c.w.Uint(m.Length)
	c.w.BulkString("radix-tree-keys")
	c.w.Uint(radixKeys)
	c.w.BulkString("radix-tree-nodes")
	c.w.Uint(radixKeys + 1)
	c.w.BulkString("last-generated-id")
	c.w.ID(m.LastID.Ms, m.LastID.Seq)
	c.w.BulkString("max-deleted-entry-id")
	c.w.ID(m.MaxDeletedID.Ms, m.MaxDeletedID.Seq)
	c.w.BulkString("entries-added")
	c.w.Uint(m.EntriesAdded)
	c.w.BulkString("recorded-first-entry-id")
	c.w.ID(m.FirstID.Ms, m.FirstID.Seq)
	var err error
	if full {
		c.w.BulkString("entries")
		pos := len(c.w.buf)
		var n int
		n, err = c.s.b.Range(key, broker.RangeQuery{End: broker.MaxID, Count: int(min(count, 1<<31-1))}, c.writeEntry)
		c.w.insertArrayHeader(pos, n)
		c.w.BulkString("groups")
		c.w.Array(0)
	} else {
		c.w.BulkString("groups")
		c.w.Int(0)
		c.w.BulkString("first-entry")
		err = c.writeEdgeEntry(key, false)
		if err == nil {
			c.w.BulkString("last-entry")
			err = c.writeEdgeEntry(key, true)
		}
	}
	if err != nil {
		c.w.buf = c.w.buf[:start]
		c.writeError(err)
	}
}

// writeEdgeEntry writes the first (or last) entry as [id, [fields]], or a
// null when the stream is empty.
func (c *conn) writeEdgeEntry(key []byte, last bool) error {
	n, err := c.s.b.Range(key, broker.RangeQuery{End: broker.MaxID, Count: 1, Reverse: last}, c.writeEntry)
	if err == nil && n == 0 {
		c.w.Null()
	}
	return err
}

// cmdXInfoGroups serves XINFO GROUPS key: no stream has groups yet.
func cmdXInfoGroups(c *conn, args [][]byte) {
	if _, ok := c.s.b.Meta(args[2]); !ok {
		c.w.Error(noSuchKeyError)
		return
	}
	c.w.Array(0)
}

// cmdXInfoConsumers serves XINFO CONSUMERS key group: no group exists yet.
func cmdXInfoConsumers(c *conn, args [][]byte) {
	if _, ok := c.s.b.Meta(args[2]); !ok {
		c.w.Error(noSuchKeyError)
		return
	}
	c.w.Error("NOGROUP No such consumer group '" + string(args[3]) + "' for key name '" + string(args[2]) + "'")
}

func cmdXInfoHelp(c *conn, args [][]byte) {
	c.helpReply(strings.ToUpper(string(args[0])),
		"CONSUMERS <key> <groupname>",
		"    Show consumers of <groupname>.",
		"GROUPS <key>",
		"    Show the stream consumer groups.",
		"STREAM <key> [FULL [COUNT <count>]",
		"    Show information about the stream.")
}
