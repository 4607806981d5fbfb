package resp

import (
	crand "crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rewind-mq/rewind/broker"
)

// Server commands: DBSIZE, TIME, LASTSAVE, SAVE, BGSAVE, SHUTDOWN, FLUSHALL
// and FLUSHDB here; CLIENT, COMMAND, INFO and CONFIG in cmd_client.go,
// cmd_command.go, cmd_info.go and cmd_config.go. All have Redis 7.2's reply
// shapes and error strings. What rewind cannot do as Redis does (there is no
// snapshot to save, the configuration is fixed at start) answers the way a
// Redis that has nothing to do would; FLUSHALL, which destroys durable logs,
// needs a confirmation Redis does not ask for.

func init() {
	const ls = flagLoading | flagStale
	register(
		&command{name: "dbsize", arity: 1, flags: flagReadonly | flagFast, group: "server", since: "1.0.0",
			summary: "Returns the number of keys in the database.", run: func(c *conn, _ [][]byte) { c.w.Int(int64(c.s.channelCount())) }},
		&command{name: "time", arity: 1, flags: ls | flagFast, group: "server", since: "2.6.0",
			summary: "Returns the server time.", run: cmdTime},
		&command{name: "lastsave", arity: 1, flags: ls | flagFast, group: "server", since: "1.0.0",
			summary: "Returns the Unix timestamp of the last successful save to disk.", run: cmdLastSave},
		&command{name: "save", arity: 1, flags: flagAdmin | flagNoScript | flagNoMulti, group: "server", since: "1.0.0",
			summary: "Synchronously saves the database(s) to disk.", run: func(c *conn, _ [][]byte) { c.w.OK() }},
		&command{name: "bgsave", arity: -1, flags: flagAdmin | flagNoScript, group: "server", since: "1.0.0",
			summary: "Asynchronously saves the database(s) to disk.", run: cmdBgSave},
		&command{name: "shutdown", arity: -1, flags: flagAdmin | flagNoScript | flagNoMulti, group: "server", since: "1.0.0",
			summary: "Synchronously saves the database(s) to disk and shuts down the Redis server.", run: cmdShutdown},
		&command{name: "flushall", arity: -1, flags: flagWrite, group: "server", since: "1.0.0",
			summary: "Removes all keys from all databases.", run: cmdFlush},
		&command{name: "flushdb", arity: -1, flags: flagWrite, group: "server", since: "1.0.0",
			summary: "Remove all keys from the current database.", run: cmdFlush},
	)
}

// adminState is the server-wide state of the admin commands.
type adminState struct {
	allowFlush bool   // FLUSHALL without CONFIRM
	runID      string // INFO run_id: 40 hex digits, new at every start
	shutdown   func() // SHUTDOWN (Config.Shutdown)

	peakMemoryBytes atomic.Uint64 // INFO used_memory_peak
	// CONFIG RESETSTAT cannot zero the broker's counters; it remembers
	// them, and INFO reports the difference.
	publishedBase  atomic.Uint64
	deliveriesBase atomic.Uint64
}

func newAdminState(cfg Config) *adminState {
	var id [20]byte
	_, _ = crand.Read(id[:]) // never fails (crypto/rand)
	return &adminState{allowFlush: cfg.AllowFlush, runID: hex.EncodeToString(id[:]), shutdown: cfg.Shutdown}
}

// channelCount is DBSIZE: the number of channels. O(channels).
func (s *Server) channelCount() int {
	n := 0
	s.b.Channels(func(broker.ChannelInfo) bool { n++; return true })
	return n
}

// --- TIME, LASTSAVE, BGSAVE, FLUSHALL ---

func cmdTime(c *conn, _ [][]byte) {
	now := time.Now()
	c.w.Array(2)
	c.w.BulkString(strconv.FormatInt(now.Unix(), 10))
	c.w.BulkString(strconv.FormatInt(int64(now.Nanosecond()/1000), 10))
}

// cmdLastSave replies the current time: every acknowledged write is already
// on disk, so the data is always saved "now" (and a client that polls
// LASTSAVE after BGSAVE sees it move).
func cmdLastSave(c *conn, _ [][]byte) { c.w.Int(time.Now().Unix()) }

func cmdBgSave(c *conn, args [][]byte) {
	if len(args) > 2 || (len(args) == 2 && !eq(args[1], "schedule")) {
		c.writeError(errSyntax)
		return
	}
	c.w.Simple("Background saving started")
}

// cmdShutdown serves SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT] with
// Redis 7's argument rules. Every write is already durable, so SAVE and
// NOSAVE change nothing; the node stops as on SIGTERM (clients drained,
// Pebble flushed and closed) and, as in Redis, the client gets no reply:
// its connection closes. No shutdown ever waits, so ABORT finds none.
func cmdShutdown(c *conn, args [][]byte) {
	save, nosave, abort, other := false, false, false, false
	for _, a := range args[1:] {
		switch {
		case eq(a, "nosave"):
			nosave = true
		case eq(a, "save"):
			save = true
		case eq(a, "now"), eq(a, "force"):
			other = true
		case eq(a, "abort"):
			abort = true
		default:
			c.writeError(errSyntax)
			return
		}
	}
	switch {
	case abort && (save || nosave || other) || save && nosave:
		c.writeError(errSyntax)
	case abort:
		c.w.Error(replyNoShutdown)
	case c.s.admin.shutdown == nil:
		c.s.log.Warn("resp: SHUTDOWN refused: this server has no shutdown hook", "client", c.id)
		c.w.Error(replyShutdownFailed)
	default:
		c.s.log.Info("resp: SHUTDOWN requested", "client", c.id, "addr", c.addr)
		c.s.admin.shutdown()
	}
}

// cmdFlush serves FLUSHALL and FLUSHDB [ASYNC|SYNC] [CONFIRM]: it drops
// every channel (its log, metadata and retention) in one request, and
// answers once that is durable. Without CONFIRM it refuses unless the
// server was started with AllowFlush. Channels that other clients create
// while it runs may survive it.
func cmdFlush(c *conn, args [][]byte) {
	confirm, mode := false, false
	for _, a := range args[1:] {
		switch {
		case eq(a, "confirm") && !confirm:
			confirm = true
		case (eq(a, "async") || eq(a, "sync")) && !mode:
			mode = true
		default:
			c.failWrite(errSyntax)
			return
		}
	}
	c.drain() // this connection's earlier writes are part of what is flushed
	if !confirm && !c.s.admin.allowFlush {
		name := strings.ToUpper(string(args[0]))
		c.w.Error("ERR " + name + " destroys every channel's log; rewind requires " + name +
			" CONFIRM (or start the server with --allow-flush)")
		return
	}
	var names [][]byte
	c.s.b.Channels(func(ci broker.ChannelInfo) bool {
		names = append(names, []byte(ci.Name))
		return true
	})
	if len(names) == 0 {
		c.w.OK()
		return
	}
	from := c.req.Len()
	for _, n := range names {
		c.req.Drop(n)
	}
	c.queued(replyOK, from)
}
