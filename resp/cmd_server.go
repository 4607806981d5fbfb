package resp

import (
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"math"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rewind-mq/rewind/broker"
)

// Server and connection commands: CLIENT, COMMAND, INFO, CONFIG, DBSIZE,
// TIME, LASTSAVE, SAVE, BGSAVE, FLUSHALL and FLUSHDB, with Redis 7.2's reply
// shapes and error strings. What rewind cannot do as Redis does (there is no
// snapshot to save, the configuration is fixed at start) answers the way a
// Redis that has nothing to do would; FLUSHALL, which destroys durable logs,
// needs a confirmation Redis does not ask for.

// Version is rewind's version, reported by INFO as rewind_version. The
// build may set it with -ldflags "-X github.com/rewind-mq/rewind/resp.Version=...".
var Version = "0.1.0-dev"

func init() {
	const ls = flagLoading | flagStale
	register(
		&command{name: "client", arity: -2, group: "connection", since: "2.4.0",
			summary: "A container for client connection commands.", subs: map[string]*command{
				"getname": {name: "getname", arity: 2, flags: flagNoScript | ls, group: "connection", since: "2.6.9",
					summary: "Returns the name of the connection.", run: cmdClientGetName},
				"setname": {name: "setname", arity: 3, flags: flagNoScript | ls, group: "connection", since: "2.6.9",
					summary: "Sets the connection name.", run: cmdClientSetName},
				"id": {name: "id", arity: 2, flags: flagNoScript | ls, group: "connection", since: "5.0.0",
					summary: "Returns the unique client ID of the connection.", run: func(c *conn, _ [][]byte) { c.w.Int(c.id) }},
				"info": {name: "info", arity: 2, flags: flagNoScript | ls, group: "connection", since: "6.2.0",
					summary: "Returns information about the connection.", run: cmdClientInfo},
				"list": {name: "list", arity: -2, flags: flagAdmin | flagNoScript | ls, group: "connection", since: "2.4.0",
					summary: "Lists open connections.", run: cmdClientList},
				"kill": {name: "kill", arity: -3, flags: flagAdmin | flagNoScript | ls, group: "connection", since: "2.4.0",
					summary: "Terminates open connections.", run: cmdClientKill},
				"setinfo": {name: "setinfo", arity: 4, flags: flagNoScript | ls, group: "connection", since: "7.2.0",
					summary: "Sets information specific to the client or connection.", run: cmdClientSetInfo},
				"no-evict": {name: "no-evict", arity: 3, flags: flagAdmin | flagNoScript | ls, group: "connection", since: "7.0.0",
					summary: "Sets the client eviction mode of the connection.", run: cmdClientOnOff},
				"no-touch": {name: "no-touch", arity: 3, flags: flagNoScript | ls, group: "connection", since: "7.2.0",
					summary: "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", run: cmdClientOnOff},
				"reply": {name: "reply", arity: 3, flags: flagNoScript | ls, group: "connection", since: "3.2.0",
					summary: "Instructs the server whether to reply to commands.", run: cmdClientReply},
				"help": {name: "help", arity: 2, flags: ls, group: "connection", since: "5.0.0",
					summary: "Returns helpful text about the different subcommands.", run: cmdClientHelp},
			}},
		&command{name: "command", arity: -1, flags: ls, group: "server", since: "2.8.13",
			summary: "Returns detailed information about all commands.", run: cmdCommand, subs: map[string]*command{
				"count": {name: "count", arity: 2, flags: ls, group: "server", since: "2.8.13",
					summary: "Returns a count of commands.", run: func(c *conn, _ [][]byte) { c.w.Int(int64(len(commandTable))) }},
				"docs": {name: "docs", arity: -2, flags: ls, group: "server", since: "7.0.0",
					summary: "Returns documentary information about one, multiple or all commands.", run: cmdCommandDocs},
				"getkeys": {name: "getkeys", arity: -3, flags: ls, group: "server", since: "2.8.13",
					summary: "Extracts the key names from an arbitrary command.", run: func(c *conn, a [][]byte) { c.commandGetKeys(a, false) }},
				"getkeysandflags": {name: "getkeysandflags", arity: -3, flags: ls, group: "server", since: "7.0.0",
					summary: "Extracts the key names and access flags for an arbitrary command.", run: func(c *conn, a [][]byte) { c.commandGetKeys(a, true) }},
				"info": {name: "info", arity: -2, flags: ls, group: "server", since: "2.8.13",
					summary: "Returns information about one, multiple or all commands.", run: cmdCommandInfo},
				"list": {name: "list", arity: -2, flags: ls, group: "server", since: "7.0.0",
					summary: "Returns a list of command names.", run: cmdCommandList},
				"help": {name: "help", arity: 2, flags: ls, group: "server", since: "5.0.0",
					summary: "Returns helpful text about the different subcommands.", run: cmdCommandHelp},
			}},
		&command{name: "info", arity: -1, flags: ls, group: "server", since: "1.0.0",
			summary: "Returns information and statistics about the server.", run: cmdInfo},
		&command{name: "config", arity: -2, group: "server", since: "2.0.0",
			summary: "A container for server configuration commands.", subs: map[string]*command{
				"get": {name: "get", arity: -3, flags: flagAdmin | flagNoScript | ls, group: "server", since: "2.0.0",
					summary: "Returns the effective values of configuration parameters.", run: cmdConfigGet},
				"set": {name: "set", arity: -4, flags: flagAdmin | flagNoScript | ls, group: "server", since: "2.0.0",
					summary: "Sets configuration parameters in-flight.", run: cmdConfigSet},
				"resetstat": {name: "resetstat", arity: 2, flags: flagAdmin | flagNoScript | ls, group: "server", since: "2.0.0",
					summary: "Resets the server's statistics.", run: cmdConfigResetStat},
				"rewrite": {name: "rewrite", arity: 2, flags: flagAdmin | flagNoScript | ls, group: "server", since: "2.8.0",
					summary: "Persists the effective configuration to file.", run: func(c *conn, _ [][]byte) { c.w.Error("ERR The server is running without a config file") }},
				"help": {name: "help", arity: 2, flags: ls, group: "server", since: "5.0.0",
					summary: "Returns helpful text about the different subcommands.", run: cmdConfigHelp},
			}},
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

// --- CLIENT ---

// clientStats is the part of a connection's state that other connections'
// CLIENT LIST, CLIENT KILL and INFO read: a copy of fields the reader
// goroutine owns, published after every batch (one lock per batch).
type clientStats struct {
	subs, psubs, ssubs int
	multi              int // commands queued in MULTI; -1 outside MULTI
	queryBytes         int // received, not yet parsed
	queryFreeBytes     int // free space in the read buffer
	replyBufBytes      int // capacity of the reply buffer
}

// publishStats refreshes c.info.stats. Called by the reader after a batch.
func (c *conn) publishStats() {
	st := c.currentStats()
	c.info.mu.Lock()
	c.info.stats = st
	c.info.mu.Unlock()
}

func (c *conn) currentStats() clientStats {
	st := clientStats{
		subs: len(c.subs), psubs: len(c.psubs), ssubs: len(c.ssubs), multi: -1,
		queryBytes: c.end - c.start, queryFreeBytes: len(c.rbuf) - c.end, replyBufBytes: cap(c.w.buf),
	}
	if c.multi != nil {
		st.multi = len(c.multi.cmds)
	}
	return st
}

// clientView is a consistent copy of what CLIENT LIST shows of one client.
type clientView struct {
	target               *conn
	stats                clientStats
	name, lastCmd        string
	libName, libVer      string
	outputBytes          int
	flushing, closed     bool
	argvBytes            int // the command being run (the caller's own line only)
	createdMs, lastCmdMs int64
	proto                int32
	subscribed, inMulti  bool
	blocked              bool
}

// viewClient snapshots target as seen by c. c's own state is read live
// (the reader goroutine is running this very command); args is the command
// being run, counted in c's argv-mem.
func (c *conn) viewClient(target *conn, args [][]byte) clientView {
	v := clientView{target: target, createdMs: target.created.UnixMilli(), lastCmdMs: target.lastCmd.Load(), proto: target.proto.Load()}
	if target == c {
		v.stats = c.currentStats()
		for _, a := range args {
			v.argvBytes += len(a)
		}
	}
	target.info.mu.Lock()
	if target != c {
		v.stats = target.info.stats
	}
	v.name, v.lastCmd, v.libName, v.libVer = target.info.name, target.info.lastCmd, target.info.libName, target.info.libVer
	target.info.mu.Unlock()
	target.out.mu.Lock()
	v.outputBytes, v.flushing, v.closed = target.out.queued, target.out.flushing, target.out.closed
	target.out.mu.Unlock()
	v.subscribed = v.stats.subs+v.stats.psubs+v.stats.ssubs > 0
	v.inMulti = v.stats.multi >= 0
	v.blocked = target.blocked.Load()
	return v
}

// appendClientLine appends a client's CLIENT LIST line, field for field
// Redis 7.2's (catClientInfoString), without the newline.
func appendClientLine(b []byte, v *clientView, nowMs int64) []byte {
	flags := make([]byte, 0, 4)
	if v.subscribed {
		flags = append(flags, 'P')
	}
	if v.inMulti {
		flags = append(flags, 'x')
	}
	if v.blocked {
		flags = append(flags, 'b') // in XREAD/XREADGROUP BLOCK
	}
	if v.closed {
		flags = append(flags, 'A') // close ASAP: killed, or its socket failed
	}
	if len(flags) == 0 {
		flags = append(flags, 'N')
	}
	events := "r"
	if v.flushing {
		events = "rw"
	}
	lastCmd := v.lastCmd
	if lastCmd == "" {
		lastCmd = "NULL"
	}
	st := &v.stats
	totalMem := st.queryBytes + st.queryFreeBytes + st.replyBufBytes + v.outputBytes + v.argvBytes
	oll := 0
	if v.outputBytes > 0 {
		oll = 1
	}
	field := func(name string, n int64) {
		b = append(b, ' ')
		b = append(b, name...)
		b = append(b, '=')
		b = strconv.AppendInt(b, n, 10)
	}
	text := func(name, s string) {
		b = append(b, ' ')
		b = append(b, name...)
		b = append(b, '=')
		b = append(b, s...)
	}
	b = append(b, "id="...)
	b = strconv.AppendInt(b, v.target.id, 10)
	text("addr", v.target.addr)
	text("laddr", v.target.laddr)
	field("fd", int64(connFD(v.target.nc)))
	text("name", v.name)
	field("age", max(nowMs-v.createdMs, 0)/1000)
	field("idle", max(nowMs-v.lastCmdMs, 0)/1000)
	text("flags", string(flags))
	field("db", 0)
	field("sub", int64(st.subs))
	field("psub", int64(st.psubs))
	field("ssub", int64(st.ssubs))
	field("multi", int64(st.multi))
	field("qbuf", int64(st.queryBytes))
	field("qbuf-free", int64(st.queryFreeBytes))
	field("argv-mem", int64(v.argvBytes))
	field("multi-mem", 0)
	field("rbs", int64(st.replyBufBytes))
	field("rbp", int64(st.replyBufBytes))
	field("obl", 0)
	field("oll", int64(oll))
	field("omem", int64(v.outputBytes))
	field("tot-mem", int64(totalMem))
	text("events", events)
	text("cmd", lastCmd)
	text("user", "default")
	field("redir", -1)
	field("resp", int64(v.proto))
	text("lib-name", v.libName)
	text("lib-ver", v.libVer)
	return b
}

// connFD returns the socket's file descriptor, or -1.
func connFD(nc net.Conn) int {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return -1
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	if rc.Control(func(f uintptr) { fd = int(f) }) != nil {
		return -1
	}
	return fd
}

// sortedClients returns the connected clients in ID (connection) order.
func (s *Server) sortedClients() []*conn {
	cl := s.clients()
	slices.SortFunc(cl, func(a, b *conn) int { return int(a.id - b.id) })
	return cl
}

func cmdClientGetName(c *conn, _ [][]byte) {
	if name := c.name(); name != "" {
		c.w.BulkString(name)
		return
	}
	c.w.Null()
}

func cmdClientSetName(c *conn, args [][]byte) {
	if !validClientName(args[2]) {
		c.w.Error("ERR Client names cannot contain spaces, newlines or special characters.")
		return
	}
	c.setName(string(args[2]))
	c.w.OK()
}

func cmdClientInfo(c *conn, args [][]byte) {
	v := c.viewClient(c, args)
	line := appendClientLine(nil, &v, time.Now().UnixMilli())
	c.w.Verbatim(string(append(line, '\n')))
}

// clientType is a CLIENT LIST / KILL TYPE: rewind has normal and pubsub
// clients only (no replication links).
type clientType uint8

const (
	clientTypeAny clientType = iota
	clientTypeNormal
	clientTypePubSub
	clientTypeReplica
	clientTypeMaster
)

func parseClientType(b []byte) (clientType, bool) {
	switch strings.ToLower(string(b)) {
	case "normal":
		return clientTypeNormal, true
	case "pubsub":
		return clientTypePubSub, true
	case "replica", "slave":
		return clientTypeReplica, true
	case "master":
		return clientTypeMaster, true
	}
	return clientTypeAny, false
}

func (v *clientView) isType(t clientType) bool {
	switch t {
	case clientTypeAny:
		return true
	case clientTypeNormal:
		return !v.subscribed
	case clientTypePubSub:
		return v.subscribed
	}
	return false
}

func cmdClientList(c *conn, args [][]byte) {
	now := time.Now().UnixMilli()
	var out []byte
	switch {
	case len(args) == 4 && eq(args[2], "type"):
		t, ok := parseClientType(args[3])
		if !ok {
			c.w.Error("ERR Unknown client type '" + string(args[3]) + "'")
			return
		}
		for _, cl := range c.s.sortedClients() {
			if v := c.viewClient(cl, args); v.isType(t) {
				out = append(appendClientLine(out, &v, now), '\n')
			}
		}
	case len(args) > 3 && eq(args[2], "id"):
		byID := make(map[int64]*conn)
		for _, cl := range c.s.clients() {
			byID[cl.id] = cl
		}
		for _, a := range args[3:] {
			id, ok := parseInt64(a)
			if !ok {
				c.w.Error("ERR Invalid client ID")
				return
			}
			if cl := byID[id]; cl != nil {
				v := c.viewClient(cl, args)
				out = append(appendClientLine(out, &v, now), '\n')
			}
		}
	case len(args) != 2:
		c.writeError(errSyntax)
		return
	default:
		for _, cl := range c.s.sortedClients() {
			v := c.viewClient(cl, args)
			out = append(appendClientLine(out, &v, now), '\n')
		}
	}
	c.w.Verbatim(string(out))
}

// clientKillFilter is what CLIENT KILL matches; zero values match all.
type clientKillFilter struct {
	addr, laddr   []byte
	hasAddr       bool
	hasLaddr      bool
	id            int64
	typ           clientType
	skipMe        bool
	oldStyleReply bool // CLIENT KILL addr:port: +OK or an error
}

func cmdClientKill(c *conn, args [][]byte) {
	f, ok := c.parseClientKill(args)
	if !ok {
		return
	}
	killed, self := 0, false
	for _, cl := range c.s.sortedClients() {
		v := c.viewClient(cl, args)
		switch {
		case f.hasAddr && string(f.addr) != cl.addr,
			f.hasLaddr && string(f.laddr) != cl.laddr,
			f.id != 0 && f.id != cl.id,
			!v.isType(f.typ),
			cl == c && f.skipMe,
			cl != c && v.closed: // already closed, going away: Redis has freed it
			continue
		}
		killed++
		if cl == c {
			self = true
			continue
		}
		cl.out.mu.Lock()
		cl.closeLocked("killed by CLIENT KILL from client " + strconv.FormatInt(c.id, 10))
		cl.out.mu.Unlock()
	}
	switch {
	case !f.oldStyleReply:
		c.w.Int(int64(killed))
	case killed == 0:
		c.w.Error("ERR No such client")
	default:
		c.w.OK()
	}
	if self {
		c.quit = true // as Redis: closed once this reply is written
	}
}

// parseClientKill parses both forms of CLIENT KILL, or writes the error.
func (c *conn) parseClientKill(args [][]byte) (clientKillFilter, bool) {
	f := clientKillFilter{skipMe: true}
	if len(args) == 3 {
		f.addr, f.hasAddr, f.skipMe, f.oldStyleReply = args[2], true, false, true
		return f, true
	}
	for i := 2; i < len(args); i += 2 {
		if i+1 >= len(args) {
			c.writeError(errSyntax)
			return f, false
		}
		opt, val := args[i], args[i+1]
		switch {
		case eq(opt, "id"):
			n, ok := parseInt64(val)
			if !ok || n < 1 {
				c.w.Error("ERR client-id should be greater than 0")
				return f, false
			}
			f.id = n
		case eq(opt, "type"):
			t, ok := parseClientType(val)
			if !ok {
				c.w.Error("ERR Unknown client type '" + string(val) + "'")
				return f, false
			}
			f.typ = t
		case eq(opt, "addr"):
			f.addr, f.hasAddr = val, true
		case eq(opt, "laddr"):
			f.laddr, f.hasLaddr = val, true
		case eq(opt, "user"):
			if string(val) != "default" {
				c.w.Error("ERR No such user '" + string(val) + "'")
				return f, false
			}
		case eq(opt, "skipme") && eq(val, "yes"):
			f.skipMe = true
		case eq(opt, "skipme") && eq(val, "no"):
			f.skipMe = false
		default:
			c.writeError(errSyntax)
			return f, false
		}
	}
	return f, true
}

func cmdClientSetInfo(c *conn, args [][]byte) {
	attr, val := args[2], args[3]
	isName := eq(attr, "lib-name")
	if !isName && !eq(attr, "lib-ver") {
		c.w.Error("ERR Unrecognized option '" + string(attr) + "'")
		return
	}
	if !validClientName(val) {
		c.w.Error("ERR " + string(attr) + " cannot contain spaces, newlines or special characters.")
		return
	}
	c.info.mu.Lock()
	if isName {
		c.info.libName = string(val)
	} else {
		c.info.libVer = string(val)
	}
	c.info.mu.Unlock()
	c.w.OK()
}

// cmdClientOnOff serves CLIENT NO-EVICT and NO-TOUCH: rewind evicts no
// client and keeps no LRU, so both modes are accepted and change nothing.
func cmdClientOnOff(c *conn, args [][]byte) {
	if eq(args[2], "on") || eq(args[2], "off") {
		c.w.OK()
		return
	}
	c.writeError(errSyntax)
}

func cmdClientHelp(c *conn, _ [][]byte) {
	c.helpReply("CLIENT",
		"GETNAME",
		"    Return the name of the current connection.",
		"ID",
		"    Return the ID of the current connection.",
		"INFO",
		"    Return information about the current client connection.",
		"KILL <ip:port>",
		"    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]",
		"    Kill connections. Options are:",
		"    * ADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made from the specified address",
		"    * LADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made to specified local address",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Kill connections by type.",
		"    * USER <username>",
		"      Kill connections authenticated by <username>.",
		"    * SKIPME (YES|NO)",
		"      Skip killing current connection (default: yes).",
		"LIST [options ...]",
		"    Return information about client connections. Options:",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Return clients of specified type.",
		"REPLY (ON|OFF|SKIP)",
		"    Control the replies sent to the current connection.",
		"SETNAME <name>",
		"    Assign the name <name> to the current connection.",
		"SETINFO <option> <value>",
		"    Set client meta attr. Options are:",
		"    * LIB-NAME: the client lib name.",
		"    * LIB-VER: the client lib version.",
		"NO-EVICT (ON|OFF)",
		"    Protect current client connection from eviction.",
		"NO-TOUCH (ON|OFF)",
		"    Will not touch LRU/LFU stats when this mode is on.")
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
		c.w.Error("ERR No shutdown in progress.")
	case c.s.admin.shutdown == nil:
		c.s.log.Warn("resp: SHUTDOWN refused: this server has no shutdown hook", "client", c.id)
		c.w.Error("ERR Errors trying to SHUTDOWN. Check logs.")
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
	props := c.propose(replyOK, len(names))
	for i, n := range names {
		props[i].Op, props[i].Channel = broker.OpDrop, n
	}
}

// --- COMMAND ---

// commandDoc is the metadata COMMAND INFO and COMMAND DOCS report for one
// command (full name "parent|sub" for subcommands). For commands that exist
// in Redis it is Redis 7.2's own, from src/commands.def (redisCommandDocs,
// below); a command without one is described from its table entry.
type commandDoc struct {
	arity                      int    // Redis's arity (a test checks the table agrees)
	flags                      string // COMMAND INFO flags, space-separated, in Redis's order
	acl                        string // ACL categories, "@a @b", in Redis's order
	firstKey, lastKey, keyStep int
	summary, since, group      string
	complexity                 string
	docFlags                   string // "deprecated", "syscmd"
	deprecatedSince            string
	replacedBy                 string
	tips                       []string
	history                    [][2]string // since, change
	keySpecs                   []keySpec
	args                       []docArg
}

// keyFind is how a key spec finds keys after its begin_search position.
type keyFind uint8

const (
	keysUnknown keyFind = iota
	keysRange           // a: lastkey, b: keystep, c: limit
	keysKeynum          // a: keynumidx, b: firstkey, c: keystep
)

// keySpec is one of a command's key specs (Redis 7's keySpec). begin_search
// is by index when index > 0, by keyword when keyword != "", else unknown.
type keySpec struct {
	notes     string
	flags     string // "RW update", ...
	index     int
	keyword   string
	startFrom int
	find      keyFind
	a, b, c   int
}

// docArg is one argument of COMMAND DOCS.
type docArg struct {
	name, typ       string
	display         string
	keySpec         int // key spec index + 1; 0: not a key
	token           string
	summary, since  string
	deprecatedSince string
	flags           string // "optional multiple multiple_token"
	args            []docArg
}

// docFor returns cmd's metadata: Redis's when the command exists in Redis,
// else derived from the table entry.
func docFor(cmd *command) *commandDoc {
	if d := redisCommandDocs[cmd.fullName()]; d != nil {
		return d
	}
	d := &commandDoc{arity: cmd.arity, firstKey: cmd.firstKey, lastKey: cmd.lastKey, keyStep: cmd.keyStep,
		summary: cmd.summary, since: cmd.since, group: cmd.group}
	var flags []string
	for _, f := range flagNames {
		if cmd.flags&f.f != 0 {
			flags = append(flags, f.name)
		}
	}
	if cmd.flags&flagNoMulti != 0 {
		flags = append(flags, "no_multi")
	}
	d.flags = strings.Join(flags, " ")
	d.acl = derivedACL(cmd)
	if cmd.firstKey > 0 {
		ks := keySpec{flags: "RO access", index: cmd.firstKey, find: keysRange, a: cmd.lastKey, b: max(cmd.keyStep, 1)}
		if cmd.flags&flagWrite != 0 {
			ks.flags = "RW update"
		}
		if cmd.lastKey >= 0 {
			ks.a = cmd.lastKey - cmd.firstKey
		}
		d.keySpecs = []keySpec{ks}
	}
	return d
}

// aclCategories are Redis's ACL categories, in the order it lists them.
var aclCategories = []string{"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous",
	"connection", "transaction", "scripting"}

// derivedACL gives a command without Redis metadata the categories Redis
// would: its group's, plus those its flags imply (setImplicitACLCategories).
func derivedACL(cmd *command) string {
	has := map[string]bool{}
	switch cmd.group {
	case "generic":
		has["keyspace"] = true
	case "stream":
		has["stream"] = true
	case "pubsub":
		has["pubsub"] = true
	case "connection":
		has["connection"] = true
	case "transactions":
		has["transaction"] = true
	}
	f := cmd.flags
	has["write"] = has["write"] || f&flagWrite != 0
	has["read"] = has["read"] || f&flagReadonly != 0
	has["admin"] = f&flagAdmin != 0
	has["dangerous"] = has["dangerous"] || f&flagAdmin != 0
	has["pubsub"] = has["pubsub"] || f&flagPubSub != 0
	has["fast"] = f&flagFast != 0
	has["blocking"] = f&flagBlocking != 0
	has["slow"] = !has["fast"]
	var out []string
	for _, c := range aclCategories {
		if has[c] {
			out = append(out, "@"+c)
		}
	}
	return strings.Join(out, " ")
}

// sortedCommands returns a command table's entries by name.
func sortedCommands(table map[string]*command) []*command {
	out := make([]*command, 0, len(table))
	for _, cmd := range table {
		out = append(out, cmd)
	}
	slices.SortFunc(out, func(a, b *command) int { return strings.Compare(a.name, b.name) })
	return out
}

// commandByFullName finds "name" or "container|sub", case-insensitively,
// as COMMAND INFO and COMMAND DOCS name commands.
func commandByFullName(name []byte) *command {
	parent, sub, isSub := strings.Cut(string(name), "|")
	cmd := lookup(commandTable, []byte(parent))
	if cmd == nil || !isSub {
		return cmd
	}
	if cmd.subs == nil || strings.Contains(sub, "|") {
		return nil
	}
	return lookup(cmd.subs, []byte(sub))
}

func cmdCommand(c *conn, _ [][]byte) {
	cmds := sortedCommands(commandTable)
	c.w.Array(len(cmds))
	for _, cmd := range cmds {
		c.writeCommandInfo(cmd)
	}
}

func cmdCommandInfo(c *conn, args [][]byte) {
	if len(args) == 2 {
		cmdCommand(c, args)
		return
	}
	c.w.Array(len(args) - 2)
	for _, name := range args[2:] {
		if cmd := commandByFullName(name); cmd != nil {
			c.writeCommandInfo(cmd)
		} else {
			c.w.Null()
		}
	}
}

// writeSimpleSet writes space-separated words as a set of simple strings.
func (c *conn) writeSimpleSet(words string) {
	list := strings.Fields(words)
	c.w.Set(len(list))
	for _, s := range list {
		c.w.Simple(s)
	}
}

// writeCommandInfo writes one command's COMMAND INFO entry: name, arity,
// flags, first key, last key, step, ACL categories, tips, key specs,
// subcommands.
func (c *conn) writeCommandInfo(cmd *command) {
	d := docFor(cmd)
	c.w.Array(10)
	c.w.BulkString(cmd.fullName())
	c.w.Int(int64(cmd.arity))
	c.writeSimpleSet(d.flags)
	c.w.Int(int64(d.firstKey))
	c.w.Int(int64(d.lastKey))
	c.w.Int(int64(d.keyStep))
	c.writeSimpleSet(d.acl)
	c.w.Set(len(d.tips))
	for _, t := range d.tips {
		c.w.BulkString(t)
	}
	c.w.Set(len(d.keySpecs))
	for i := range d.keySpecs {
		c.writeKeySpec(&d.keySpecs[i])
	}
	if cmd.subs == nil {
		c.w.Set(0)
		return
	}
	subs := sortedCommands(cmd.subs)
	c.w.Array(len(subs))
	for _, sub := range subs {
		c.writeCommandInfo(sub)
	}
}

func (c *conn) writeKeySpec(ks *keySpec) {
	if ks.notes != "" {
		c.w.Map(4)
		c.w.BulkString("notes")
		c.w.BulkString(ks.notes)
	} else {
		c.w.Map(3)
	}
	c.w.BulkString("flags")
	c.writeSimpleSet(ks.flags)
	c.w.BulkString("begin_search")
	c.w.Map(2)
	c.w.BulkString("type")
	switch {
	case ks.index > 0:
		c.w.BulkString("index")
		c.w.BulkString("spec")
		c.w.Map(1)
		c.w.BulkString("index")
		c.w.Int(int64(ks.index))
	case ks.keyword != "":
		c.w.BulkString("keyword")
		c.w.BulkString("spec")
		c.w.Map(2)
		c.w.BulkString("keyword")
		c.w.BulkString(ks.keyword)
		c.w.BulkString("startfrom")
		c.w.Int(int64(ks.startFrom))
	default:
		c.w.BulkString("unknown")
		c.w.BulkString("spec")
		c.w.Map(0)
	}
	c.w.BulkString("find_keys")
	c.w.Map(2)
	c.w.BulkString("type")
	names := [3]string{"lastkey", "keystep", "limit"}
	switch ks.find {
	case keysRange:
		c.w.BulkString("range")
	case keysKeynum:
		c.w.BulkString("keynum")
		names = [3]string{"keynumidx", "firstkey", "keystep"}
	default:
		c.w.BulkString("unknown")
		c.w.BulkString("spec")
		c.w.Map(0)
		return
	}
	c.w.BulkString("spec")
	c.w.Map(3)
	for i, v := range [3]int{ks.a, ks.b, ks.c} {
		c.w.BulkString(names[i])
		c.w.Int(int64(v))
	}
}

func cmdCommandDocs(c *conn, args [][]byte) {
	if len(args) == 2 {
		cmds := sortedCommands(commandTable)
		c.w.Map(len(cmds))
		for _, cmd := range cmds {
			c.w.BulkString(cmd.fullName())
			c.writeCommandDocs(cmd)
		}
		return
	}
	var found []*command
	for _, name := range args[2:] {
		if cmd := commandByFullName(name); cmd != nil {
			found = append(found, cmd)
		}
	}
	c.w.Map(len(found))
	for _, cmd := range found {
		c.w.BulkString(cmd.fullName())
		c.writeCommandDocs(cmd)
	}
}

// writeCommandDocs writes one command's COMMAND DOCS map (addReplyCommandDocs).
func (c *conn) writeCommandDocs(cmd *command) {
	d := docFor(cmd)
	n := 1 // group
	for _, s := range []string{d.summary, d.since, d.complexity, d.docFlags, d.deprecatedSince, d.replacedBy} {
		if s != "" {
			n++
		}
	}
	if len(d.history) > 0 {
		n++
	}
	if len(d.args) > 0 {
		n++
	}
	if cmd.subs != nil {
		n++
	}
	c.w.Map(n)
	pair := func(k, v string) {
		if v != "" {
			c.w.BulkString(k)
			c.w.BulkString(v)
		}
	}
	pair("summary", d.summary)
	pair("since", d.since)
	pair("group", d.group)
	pair("complexity", d.complexity)
	if d.docFlags != "" {
		c.w.BulkString("doc_flags")
		c.writeSimpleSet(d.docFlags)
	}
	pair("deprecated_since", d.deprecatedSince)
	pair("replaced_by", d.replacedBy)
	if len(d.history) > 0 {
		c.w.BulkString("history")
		c.w.Set(len(d.history))
		for _, h := range d.history {
			c.w.Array(2)
			c.w.BulkString(h[0])
			c.w.BulkString(h[1])
		}
	}
	if len(d.args) > 0 {
		c.w.BulkString("arguments")
		c.writeDocArgs(d.args)
	}
	if cmd.subs != nil {
		c.w.BulkString("subcommands")
		subs := sortedCommands(cmd.subs)
		c.w.Map(len(subs))
		for _, sub := range subs {
			c.w.BulkString(sub.fullName())
			c.writeCommandDocs(sub)
		}
	}
}

// writeDocArgs writes COMMAND DOCS arguments (addReplyCommandArgList).
func (c *conn) writeDocArgs(args []docArg) {
	c.w.Array(len(args))
	for i := range args {
		a := &args[i]
		nested := a.typ == "oneof" || a.typ == "block"
		n := 2
		for _, present := range []bool{!nested, a.keySpec > 0, a.token != "", a.summary != "", a.since != "",
			a.deprecatedSince != "", a.flags != "", nested} {
			if present {
				n++
			}
		}
		c.w.Map(n)
		c.w.BulkString("name")
		c.w.BulkString(a.name)
		c.w.BulkString("type")
		c.w.BulkString(a.typ)
		if !nested {
			c.w.BulkString("display_text")
			if a.display != "" {
				c.w.BulkString(a.display)
			} else {
				c.w.BulkString(a.name)
			}
		}
		if a.keySpec > 0 {
			c.w.BulkString("key_spec_index")
			c.w.Int(int64(a.keySpec - 1))
		}
		for _, kv := range [][2]string{{"token", a.token}, {"summary", a.summary}, {"since", a.since}, {"deprecated_since", a.deprecatedSince}} {
			if kv[1] != "" {
				c.w.BulkString(kv[0])
				c.w.BulkString(kv[1])
			}
		}
		if a.flags != "" {
			c.w.BulkString("flags")
			c.writeSimpleSet(a.flags)
		}
		if nested {
			c.w.BulkString("arguments")
			c.writeDocArgs(a.args)
		}
	}
}

// cmdCommandList serves COMMAND LIST [FILTERBY MODULE m|ACLCAT c|PATTERN p].
func cmdCommandList(c *conn, args [][]byte) {
	var filter func(cmd *command) bool
	for i := 2; i < len(args); i++ {
		if !eq(args[i], "filterby") || len(args)-1-i != 2 {
			c.writeError(errSyntax)
			return
		}
		kind, arg := args[i+1], args[i+2]
		switch {
		case eq(kind, "module"):
			filter = func(*command) bool { return false } // rewind loads no modules
		case eq(kind, "aclcat"):
			cat := "@" + strings.ToLower(string(arg))
			filter = func(cmd *command) bool { return slices.Contains(strings.Fields(docFor(cmd).acl), cat) }
		case eq(kind, "pattern"):
			pat := []byte(strings.ToLower(string(arg)))
			filter = func(cmd *command) bool { return broker.MatchPattern(pat, []byte(cmd.fullName())) }
		default:
			c.writeError(errSyntax)
			return
		}
		i += 2
	}
	var names []string
	for _, cmd := range sortedCommands(commandTable) {
		if filter == nil || filter(cmd) {
			names = append(names, cmd.fullName())
		}
		for _, sub := range sortedCommands(cmd.subs) {
			if filter == nil || filter(sub) {
				names = append(names, sub.fullName())
			}
		}
	}
	c.w.Array(len(names))
	for _, n := range names {
		c.w.BulkString(n)
	}
}

// commandGetKeys serves COMMAND GETKEYS and GETKEYSANDFLAGS, finding keys
// with the command's key specs as Redis does (getKeysUsingKeySpecs).
func (c *conn) commandGetKeys(args [][]byte, withFlags bool) {
	target := args[2:]
	cmd := lookup(commandTable, target[0])
	if cmd != nil && cmd.subs != nil && len(target) > 1 {
		cmd = lookup(cmd.subs, target[1])
	}
	if cmd == nil {
		c.w.Error("ERR Invalid command specified")
		return
	}
	d := docFor(cmd)
	hasKeys := false
	for _, ks := range d.keySpecs {
		hasKeys = hasKeys || !slices.Contains(strings.Fields(ks.flags), "not_key")
	}
	if !hasKeys {
		c.w.Error("ERR The command has no key arguments")
		return
	}
	if !arityOK(cmd.arity, len(target)) {
		c.w.Error("ERR Invalid number of arguments specified for command")
		return
	}
	type keyRef struct {
		pos   int
		flags string
	}
	var keys []keyRef
	for _, ks := range d.keySpecs {
		if slices.Contains(strings.Fields(ks.flags), "not_key") {
			continue
		}
		first, last, step, ok := ks.keyRange(target)
		if !ok {
			keys = nil
			break
		}
		for i := first; i <= last && i < len(target); i += step {
			keys = append(keys, keyRef{i, ks.flags})
		}
		if slices.Contains(strings.Fields(ks.flags), "incomplete") {
			keys = nil
			break
		}
	}
	if len(keys) == 0 {
		if slices.Contains(strings.Fields(d.flags), "no_mandatory_keys") {
			c.w.Array(0)
			return
		}
		c.w.Error("ERR Invalid arguments specified for command")
		return
	}
	c.w.Array(len(keys))
	for _, k := range keys {
		if withFlags {
			c.w.Array(2)
			c.w.Bulk(target[k.pos])
			c.writeSimpleSet(k.flags)
		} else {
			c.w.Bulk(target[k.pos])
		}
	}
}

// keyRange applies a key spec to a command's arguments (args[0] is the
// command name). ok is false when the spec cannot be applied.
func (ks *keySpec) keyRange(args [][]byte) (first, last, step int, ok bool) {
	n := len(args)
	switch {
	case ks.index > 0:
		first = ks.index
	case ks.keyword != "":
		start, end := ks.startFrom, n-1
		if ks.startFrom <= 0 {
			start, end = n+ks.startFrom, 1
		}
		for i := start; i != end; { // as Redis, args[end] is never a keyword
			if i >= n || i < 1 {
				break
			}
			if eq(args[i], ks.keyword) {
				first = i + 1
				break
			}
			if start <= end {
				i++
			} else {
				i--
			}
		}
		if first == 0 {
			return 0, 0, 0, false
		}
	default:
		return 0, 0, 0, false
	}
	switch ks.find {
	case keysRange:
		step = ks.b
		switch {
		case ks.a >= 0:
			last = first + ks.a
		case ks.c == 0:
			last = n + ks.a
		default:
			last = first + ((n-first)/ks.c + ks.a)
		}
	case keysKeynum:
		step = ks.c
		if first+ks.a >= n {
			return 0, 0, 0, false
		}
		num, ok := parseInt64(args[first+ks.a])
		if !ok || num < 0 {
			return 0, 0, 0, false
		}
		first += ks.b
		last = first + int(num) - 1
	default:
		return 0, 0, 0, false
	}
	if last >= n || last < first || first >= n || step < 1 {
		return 0, 0, 0, false
	}
	return first, last, step, true
}

func cmdCommandHelp(c *conn, _ [][]byte) {
	c.helpReply("COMMAND",
		"(no subcommand)",
		"    Return details about all Redis commands.",
		"COUNT",
		"    Return the total number of commands in this Redis server.",
		"LIST",
		"    Return a list of all commands in this Redis server.",
		"INFO [<command-name> ...]",
		"    Return details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"DOCS [<command-name> ...]",
		"    Return documentation details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"GETKEYS <full-command>",
		"    Return the keys from a full Redis command.",
		"GETKEYSANDFLAGS <full-command>",
		"    Return the keys and the access flags from a full Redis command.")
}

// --- INFO ---

// infoSections are INFO's sections in Redis's order; the default ones are
// what INFO without arguments (or "default") returns.
var infoSections = []struct {
	name    string
	title   string
	dflt    bool
	write   func(s *Server, sb *strings.Builder)
	aliases []string
}{
	{name: "server", title: "Server", dflt: true, write: (*Server).infoServer},
	{name: "clients", title: "Clients", dflt: true, write: (*Server).infoClients},
	{name: "memory", title: "Memory", dflt: true, write: (*Server).infoMemory},
	{name: "persistence", title: "Persistence", dflt: true, write: (*Server).infoPersistence},
	{name: "stats", title: "Stats", dflt: true, write: (*Server).infoStats},
	{name: "replication", title: "Replication", dflt: true, write: (*Server).infoReplication},
	{name: "cpu", title: "CPU", dflt: true, write: (*Server).infoCPU},
	{name: "module_list", title: "Modules", dflt: true, aliases: []string{"modules"}},
	{name: "commandstats", title: "Commandstats", write: (*Server).infoCommandStats},
	{name: "errorstats", title: "Errorstats", dflt: true, write: (*Server).infoErrorStats},
	{name: "latencystats", title: "Latencystats"},
	{name: "cluster", title: "Cluster", dflt: true, write: func(_ *Server, sb *strings.Builder) { infoLine(sb, "cluster_enabled", "0") }},
	{name: "keyspace", title: "Keyspace", dflt: true, write: (*Server).infoKeyspace},
}

// cmdInfo serves INFO [section ...]: "default", "all" and "everything"
// select as in Redis; an unknown section adds nothing. The reply is a bulk
// string in RESP2 and a verbatim string in RESP3, as in Redis.
func cmdInfo(c *conn, args [][]byte) {
	c.flushStats() // this connection's commands before INFO count
	all := false
	want := map[string]bool{}
	if len(args) == 1 {
		want["default"] = true
	}
	for _, a := range args[1:] {
		name := strings.ToLower(string(a))
		if name == "all" || name == "everything" {
			all = true
		}
		want[name] = true
	}
	var sb strings.Builder
	for _, sec := range infoSections {
		selected := all || want[sec.name] || (sec.dflt && want["default"])
		for _, alias := range sec.aliases {
			selected = selected || want[alias]
		}
		if !selected {
			continue
		}
		if sb.Len() > 0 {
			sb.WriteString("\r\n")
		}
		sb.WriteString("# " + sec.title + "\r\n")
		if sec.write != nil {
			sec.write(c.s, &sb)
		}
	}
	c.w.Verbatim(sb.String())
}

func infoLine(sb *strings.Builder, key, value string) {
	sb.WriteString(key)
	sb.WriteByte(':')
	sb.WriteString(value)
	sb.WriteString("\r\n")
}

func infoInt(sb *strings.Builder, key string, n int64) { infoLine(sb, key, strconv.FormatInt(n, 10)) }

func infoUint(sb *strings.Builder, key string, n uint64) {
	infoLine(sb, key, strconv.FormatUint(n, 10))
}

// listenAddr returns the host and port the server listens on.
func (s *Server) listenAddr() (host string, port int) {
	if a, ok := s.ln.Addr().(*net.TCPAddr); ok {
		host, port = a.IP.String(), a.Port
		if a.IP.IsUnspecified() {
			host = "*"
		}
	}
	return host, port
}

func (s *Server) infoServer(sb *strings.Builder) {
	now := time.Now()
	uptime := int64(now.Sub(s.b.Started()).Seconds())
	host, port := s.listenAddr()
	exe, _ := os.Executable()
	infoLine(sb, "redis_version", redisVersion)
	infoLine(sb, "redis_git_sha1", "00000000")
	infoLine(sb, "redis_git_dirty", "0")
	infoLine(sb, "redis_build_id", "0")
	infoLine(sb, "redis_mode", "standalone")
	infoLine(sb, "os", osDescription())
	infoInt(sb, "arch_bits", strconv.IntSize)
	infoLine(sb, "monotonic_clock", "POSIX clock_gettime")
	infoLine(sb, "multiplexing_api", multiplexingAPI())
	infoLine(sb, "atomicvar_api", "c11-builtin")
	infoLine(sb, "gcc_version", "0.0.0")
	infoInt(sb, "process_id", int64(os.Getpid()))
	infoLine(sb, "process_supervised", "no")
	infoLine(sb, "run_id", s.admin.runID)
	infoInt(sb, "tcp_port", int64(port))
	infoInt(sb, "server_time_usec", now.UnixMicro())
	infoInt(sb, "uptime_in_seconds", uptime)
	infoInt(sb, "uptime_in_days", uptime/(24*3600))
	infoLine(sb, "hz", "10")
	infoLine(sb, "configured_hz", "10")
	infoInt(sb, "lru_clock", now.Unix()&(1<<24-1))
	infoLine(sb, "executable", exe)
	infoLine(sb, "config_file", "")
	infoLine(sb, "io_threads_active", "0")
	infoLine(sb, "listener0", "name=tcp,bind="+host+",port="+strconv.Itoa(port))
	infoLine(sb, "rewind_version", Version)
	infoLine(sb, "go_version", runtime.Version())
}

// osDescription is INFO's "os": sysname, release, machine, as uname(2).
func osDescription() string {
	sys := runtime.GOOS
	if sys != "" {
		sys = strings.ToUpper(sys[:1]) + sys[1:]
	}
	release := "unknown"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		release = strings.TrimSpace(string(b))
	}
	machine := map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686"}[runtime.GOARCH]
	if machine == "" {
		machine = runtime.GOARCH
	}
	return sys + " " + release + " " + machine
}

func multiplexingAPI() string {
	switch runtime.GOOS {
	case "linux":
		return "epoll"
	case "darwin", "freebsd", "netbsd", "openbsd", "dragonfly":
		return "kqueue"
	}
	return "select"
}

func (s *Server) infoClients(sb *strings.Builder) {
	clients := s.clients()
	subscribed, maxIn, maxOut := 0, 0, 0
	for _, cl := range clients {
		cl.info.mu.Lock()
		st := cl.info.stats
		cl.info.mu.Unlock()
		if st.subs+st.psubs+st.ssubs > 0 {
			subscribed++
		}
		maxIn = max(maxIn, st.queryBytes+st.queryFreeBytes)
		cl.out.mu.Lock()
		maxOut = max(maxOut, cl.out.queued)
		cl.out.mu.Unlock()
	}
	infoInt(sb, "connected_clients", int64(len(clients)))
	infoLine(sb, "cluster_connections", "0")
	infoInt(sb, "maxclients", int64(s.limits.MaxClients))
	infoInt(sb, "client_recent_max_input_buffer", int64(maxIn))
	infoInt(sb, "client_recent_max_output_buffer", int64(maxOut))
	infoInt(sb, "rewind_subscriber_output_bytes", s.pushBytes.Load())
	infoInt(sb, "blocked_clients", s.stats.blockedClients.Load())
	infoLine(sb, "tracking_clients", "0")
	infoLine(sb, "clients_in_timeout_table", "0")
	infoLine(sb, "total_blocking_keys", "0")
	infoLine(sb, "total_blocking_keys_on_nokey", "0")
	infoInt(sb, "pubsub_clients", int64(subscribed))
}

func (s *Server) infoMemory(sb *strings.Builder) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	used := ms.HeapAlloc
	peak := used
	for {
		old := s.admin.peakMemoryBytes.Load()
		if old >= used {
			peak = old
			break
		}
		if s.admin.peakMemoryBytes.CompareAndSwap(old, used) {
			break
		}
	}
	rss := residentBytes()
	if rss == 0 {
		rss = ms.Sys
	}
	total := totalSystemMemory()
	infoUint(sb, "used_memory", used)
	infoLine(sb, "used_memory_human", bytesToHuman(used))
	infoUint(sb, "used_memory_rss", rss)
	infoLine(sb, "used_memory_rss_human", bytesToHuman(rss))
	infoUint(sb, "used_memory_peak", peak)
	infoLine(sb, "used_memory_peak_human", bytesToHuman(peak))
	infoLine(sb, "used_memory_peak_perc", strconv.FormatFloat(100*float64(used)/float64(max(peak, 1)), 'f', 2, 64)+"%")
	infoUint(sb, "used_memory_overhead", ms.Sys-min(ms.Sys, used))
	infoUint(sb, "total_system_memory", total)
	infoLine(sb, "total_system_memory_human", bytesToHuman(total))
	infoLine(sb, "maxmemory", "0")
	infoLine(sb, "maxmemory_human", "0B")
	infoLine(sb, "maxmemory_policy", "noeviction")
	infoLine(sb, "mem_fragmentation_ratio", strconv.FormatFloat(float64(rss)/float64(max(used, 1)), 'f', 2, 64))
	infoLine(sb, "mem_allocator", runtime.Version())
	infoUint(sb, "go_heap_sys", ms.HeapSys)
	infoUint(sb, "go_num_gc", uint64(ms.NumGC))
}

// residentBytes reads the process's resident set size from /proc, or 0.
func residentBytes() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}

// totalSystemMemory reads MemTotal from /proc/meminfo, or 0.
func totalSystemMemory() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// bytesToHuman formats a size as Redis does: 100B, 1.50K, 2.00M, ...
func bytesToHuman(n uint64) string {
	units := []string{"K", "M", "G", "T", "P"}
	if n < 1024 {
		return strconv.FormatUint(n, 10) + "B"
	}
	d := float64(n)
	for _, u := range units {
		d /= 1024
		if d < 1024 {
			return strconv.FormatFloat(d, 'f', 2, 64) + u
		}
	}
	return strconv.FormatUint(n, 10) + "B"
}

func (s *Server) infoPersistence(sb *strings.Builder) {
	st := s.b.Stats()
	now := time.Now().Unix()
	writeStatus := "ok"
	if s.b.Failed() != nil {
		writeStatus = "err"
	}
	fsync := "always"
	if s.b.Config().UnsafeNoSync {
		fsync = "unsafe-no-sync"
	}
	infoLine(sb, "loading", "0")
	infoLine(sb, "async_loading", "0")
	infoLine(sb, "rdb_changes_since_last_save", "0")
	infoLine(sb, "rdb_bgsave_in_progress", "0")
	infoInt(sb, "rdb_last_save_time", now)
	infoLine(sb, "rdb_last_bgsave_status", "ok")
	infoLine(sb, "rdb_last_bgsave_time_sec", "-1")
	infoLine(sb, "rdb_current_bgsave_time_sec", "-1")
	infoLine(sb, "rdb_saves", "0")
	infoLine(sb, "aof_enabled", "1")
	infoLine(sb, "aof_rewrite_in_progress", "0")
	infoLine(sb, "aof_rewrite_scheduled", "0")
	infoLine(sb, "aof_last_rewrite_time_sec", "-1")
	infoLine(sb, "aof_current_rewrite_time_sec", "-1")
	infoLine(sb, "aof_last_bgrewrite_status", "ok")
	infoLine(sb, "aof_rewrites", "0")
	infoLine(sb, "aof_rewrites_consecutive_failures", "0")
	infoLine(sb, "aof_last_write_status", writeStatus)
	infoUint(sb, "aof_current_size", st.DiskBytes)
	infoLine(sb, "aof_base_size", "0")
	infoLine(sb, "aof_pending_rewrite", "0")
	infoLine(sb, "aof_buffer_length", "0")
	infoLine(sb, "aof_pending_bio_fsync", "0")
	infoLine(sb, "aof_delayed_fsync", "0")
	infoLine(sb, "rewind_fsync", fsync)
	infoUint(sb, "rewind_disk_bytes", st.DiskBytes)
	infoUint(sb, "rewind_entries", st.Entries)
	infoUint(sb, "rewind_entry_bytes", st.EntryBytes)
}

func (s *Server) infoStats(sb *strings.Builder) {
	st := s.b.Stats()
	published := st.Published - min(st.Published, s.admin.publishedBase.Load())
	deliveries := st.Deliveries - min(st.Deliveries, s.admin.deliveriesBase.Load())
	infoInt(sb, "total_connections_received", s.stats.connectionsReceived.Load())
	infoInt(sb, "total_commands_processed", s.stats.commandsProcessed.Load())
	infoLine(sb, "instantaneous_ops_per_sec", "0")
	infoInt(sb, "rejected_connections", s.stats.rejectedConnections.Load())
	infoLine(sb, "sync_full", "0")
	infoLine(sb, "sync_partial_ok", "0")
	infoLine(sb, "sync_partial_err", "0")
	infoLine(sb, "expired_keys", "0")
	infoLine(sb, "evicted_keys", "0")
	infoInt(sb, "evicted_clients", s.stats.evictedClients.Load())
	infoLine(sb, "keyspace_hits", "0")
	infoLine(sb, "keyspace_misses", "0")
	infoInt(sb, "pubsub_channels", int64(s.b.NumSubscriptionNames(broker.KindChannel)))
	infoInt(sb, "pubsub_patterns", int64(s.b.NumSubscriptionNames(broker.KindPattern)))
	infoInt(sb, "pubsubshard_channels", int64(s.b.NumSubscriptionNames(broker.KindShard)))
	infoLine(sb, "latest_fork_usec", "0")
	infoLine(sb, "total_forks", "0")
	infoLine(sb, "unexpected_error_replies", "0")
	infoInt(sb, "total_error_replies", s.errStats.total.Load())
	infoUint(sb, "rewind_published_entries", published)
	infoUint(sb, "rewind_deliveries", deliveries)
	infoInt(sb, "rewind_slow_subscriber_disconnects", s.stats.subscriberDrops.Load())
}

func (s *Server) infoReplication(sb *strings.Builder) {
	infoLine(sb, "role", "master")
	infoLine(sb, "connected_slaves", "0")
	infoLine(sb, "master_failover_state", "no-failover")
	infoLine(sb, "master_replid", s.admin.runID)
	infoLine(sb, "master_replid2", strings.Repeat("0", 40))
	infoLine(sb, "master_repl_offset", "0")
	infoLine(sb, "second_repl_offset", "-1")
	infoLine(sb, "repl_backlog_active", "0")
	infoLine(sb, "repl_backlog_size", "1048576")
	infoLine(sb, "repl_backlog_first_byte_offset", "0")
	infoLine(sb, "repl_backlog_histlen", "0")
}

func (s *Server) infoCPU(sb *strings.Builder) {
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	tv := func(t syscall.Timeval) string {
		return strconv.FormatInt(int64(t.Sec), 10) + "." + fmt6(int64(t.Usec))
	}
	infoLine(sb, "used_cpu_sys", tv(self.Stime))
	infoLine(sb, "used_cpu_user", tv(self.Utime))
	infoLine(sb, "used_cpu_sys_children", tv(children.Stime))
	infoLine(sb, "used_cpu_user_children", tv(children.Utime))
}

// fmt6 formats 0 <= n < 1e6 with six digits.
func fmt6(n int64) string {
	s := strconv.FormatInt(n, 10)
	if len(s) < 6 {
		s = strings.Repeat("0", 6-len(s)) + s
	}
	return s
}

func (s *Server) infoKeyspace(sb *strings.Builder) {
	if n := s.channelCount(); n > 0 {
		infoLine(sb, "db0", "keys="+strconv.Itoa(n)+",expires=0,avg_ttl=0")
	}
}

// --- CONFIG ---

// configParam is a parameter CONFIG GET reports. Most of rewind's
// configuration is fixed at start (flags of rewind serve): CONFIG SET
// changes only the parameters with a set function.
type configParam struct {
	name  string
	value func(s *Server) string
	// check validates a value for CONFIG SET and set applies it; nil:
	// the parameter is immutable.
	check func(v string) error
	set   func(s *Server, v string) error
}

func configInt(n int64) string { return strconv.FormatInt(n, 10) }

var configParams = []configParam{
	{name: "appendfsync", value: func(s *Server) string {
		if s.b.Config().UnsafeNoSync {
			return "no"
		}
		return "always"
	}},
	{name: "appendonly", value: func(*Server) string { return "yes" }},
	{name: "bind", value: func(s *Server) string { h, _ := s.listenAddr(); return h }},
	{name: "client-output-buffer-limit", value: func(s *Server) string {
		return "normal 0 0 0 slave 0 0 0 pubsub " + strconv.Itoa(s.limits.SubscriberBufferBytes) + " 0 0"
	}},
	{name: "cluster-enabled", value: func(*Server) string { return "no" }},
	{name: "databases", value: func(*Server) string { return "1" }},
	{name: "dir", value: func(s *Server) string {
		if abs, err := filepath.Abs(s.b.Config().Dir); err == nil {
			return abs
		}
		return s.b.Config().Dir
	}},
	{name: "max-channel-name-bytes", value: func(s *Server) string { return strconv.Itoa(s.limits.MaxChannelNameBytes) }},
	{name: "max-message-bytes", value: func(s *Server) string { return strconv.Itoa(s.limits.MaxMessageBytes) }},
	{name: "max-pattern-bytes", value: func(s *Server) string { return strconv.Itoa(s.limits.MaxPatternBytes) }},
	{name: "maxclients", value: func(s *Server) string { return strconv.Itoa(s.limits.MaxClients) }},
	{name: "maxmemory", value: func(*Server) string { return "0" }},
	{name: "maxmemory-clients", value: func(s *Server) string { return strconv.Itoa(s.limits.TotalSubscriberBufferBytes) }}, // rewind: bounds subscribers' output only
	{name: "maxmemory-policy", value: func(*Server) string { return "noeviction" }},
	{name: "notify-keyspace-events",
		value: func(s *Server) string { return notifyFlagsString(int(s.notifyFlags.Load())) },
		check: func(v string) error { _, err := parseNotifyFlags(v); return err },
		set: func(s *Server, v string) error {
			flags, _ := parseNotifyFlags(v)
			s.setNotifyFlags(flags)
			return nil
		}},
	{name: "port", value: func(s *Server) string { _, p := s.listenAddr(); return strconv.Itoa(p) }},
	{name: "proto-max-bulk-len", value: func(s *Server) string { return strconv.Itoa(s.limits.MaxQueryBytes) }},
	{name: "retention-max-age", value: func(s *Server) string { return configInt(s.b.Config().Retention.MaxAgeMs) }},
	{name: "retention-max-bytes", value: func(s *Server) string { return configInt(s.b.Config().Retention.MaxBytes) }},
	{name: "retention-max-len", value: func(s *Server) string { return configInt(s.b.Config().Retention.MaxLen) }},
	{name: "save", value: func(*Server) string { return "" }},
	{name: "stream-node-max-bytes",
		value: func(s *Server) string { return configInt(s.b.NodeLimits().MaxBytes) },
		check: func(v string) error { _, err := parseConfigMemory(v); return err },
		set: func(s *Server, v string) error {
			n, _ := parseConfigMemory(v)
			return s.b.SetNodeLimits(broker.NodeLimits{MaxEntries: -1, MaxBytes: n})
		}},
	{name: "stream-node-max-entries",
		value: func(s *Server) string { return configInt(s.b.NodeLimits().MaxEntries) },
		check: func(v string) error { _, err := parseConfigInt(v); return err },
		set: func(s *Server, v string) error {
			n, _ := parseConfigInt(v)
			return s.b.SetNodeLimits(broker.NodeLimits{MaxEntries: n, MaxBytes: -1})
		}},
	{name: "timeout", value: func(*Server) string { return "0" }},
}

func findConfigParam(name []byte) *configParam {
	for i := range configParams {
		if eq(name, configParams[i].name) {
			return &configParams[i]
		}
	}
	return nil
}

// cmdConfigGet serves CONFIG GET pattern [pattern ...]: a map of every
// parameter a pattern matches (case-insensitively). A name without glob
// characters is answered under the spelling it was asked with, as Redis.
func cmdConfigGet(c *conn, args [][]byte) {
	type match struct{ key, value string }
	var out []match
	seen := map[string]bool{}
	for _, a := range args[2:] {
		if !strings.ContainsAny(string(a), "[*?") {
			if p := findConfigParam(a); p != nil && !seen[p.name] {
				seen[p.name] = true
				out = append(out, match{string(a), p.value(c.s)})
			}
			continue
		}
		pat := []byte(strings.ToLower(string(a)))
		for i := range configParams {
			p := &configParams[i]
			if !seen[p.name] && broker.MatchPattern(pat, []byte(p.name)) {
				seen[p.name] = true
				out = append(out, match{p.name, p.value(c.s)})
			}
		}
	}
	c.w.Map(len(out))
	for _, m := range out {
		c.w.BulkString(m.key)
		c.w.BulkString(m.value)
	}
}

// cmdConfigSet sets the mutable parameters, and accepts setting an
// immutable one to the value it already has; any other change is refused
// as Redis refuses an immutable parameter. As in Redis, every name is
// checked first, then every value, and nothing changes unless all are
// valid.
func cmdConfigSet(c *conn, args [][]byte) {
	if len(args)%2 != 0 {
		c.writeError(errSyntax)
		return
	}
	failed := func(i int, why string) {
		c.w.Error("ERR CONFIG SET failed (possibly related to argument '" + string(args[i]) + "') - " + why)
	}
	seen := map[string]bool{}
	params := make([]*configParam, 0, len(args)/2)
	for i := 2; i < len(args); i += 2 {
		p := findConfigParam(args[i])
		switch {
		case p == nil:
			c.w.Error("ERR Unknown option or number of arguments for CONFIG SET - '" + string(args[i]) + "'")
			return
		case seen[p.name]:
			failed(i, "duplicate parameter")
			return
		case p.set == nil && !strings.EqualFold(p.value(c.s), string(args[i+1])):
			failed(i, "can't set immutable config")
			return
		}
		seen[p.name] = true
		params = append(params, p)
	}
	for j, p := range params {
		if p.check == nil {
			continue
		}
		if err := p.check(string(args[3+2*j])); err != nil {
			failed(2+2*j, err.Error())
			return
		}
	}
	for j, p := range params {
		if p.set != nil {
			if err := p.set(c.s, string(args[3+2*j])); err != nil {
				c.writeError(err)
				return
			}
		}
	}
	c.w.OK()
}

// errConfigRange is Redis's error for a number out of a parameter's range.
var errConfigRange = errors.New("argument must be between 0 and 9223372036854775807 inclusive")

// parseConfigInt parses a non-negative integer parameter as Redis does.
func parseConfigInt(v string) (int64, error) {
	n, ok := parseInt64([]byte(v))
	switch {
	case !ok:
		return 0, errors.New("argument couldn't be parsed into an integer")
	case n < 0:
		return 0, errConfigRange
	}
	return n, nil
}

// parseConfigMemory parses a memory parameter as Redis's memtoull does:
// digits and an optional unit (b, k, kb, m, mb, g, gb; k = 1000, kb =
// 1024), at most 2^63-1 bytes.
func parseConfigMemory(v string) (int64, error) {
	bad := errors.New("argument must be a memory value")
	digits := strings.TrimRightFunc(v, func(r rune) bool { return r < '0' || r > '9' })
	if strings.ContainsFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) {
		return 0, bad
	}
	units := map[string]uint64{"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000 * 1000, "mb": 1 << 20, "g": 1000 * 1000 * 1000, "gb": 1 << 30}
	mul, ok := units[strings.ToLower(v[len(digits):])]
	if !ok {
		return 0, bad
	}
	var n uint64
	if digits != "" {
		var err error
		if n, err = strconv.ParseUint(digits, 10, 64); err != nil {
			n = math.MaxUint64 // strtoull saturates
		}
	}
	if n*mul > math.MaxInt64 {
		return 0, errConfigRange
	}
	return int64(n * mul), nil
}

// cmdConfigResetStat zeroes INFO's counters.
func cmdConfigResetStat(c *conn, _ [][]byte) {
	s := c.s
	s.stats.connectionsReceived.Store(0)
	s.stats.commandsProcessed.Store(0)
	s.stats.rejectedConnections.Store(0)
	s.stats.subscriberDrops.Store(0)
	st := s.b.Stats()
	s.admin.publishedBase.Store(st.Published)
	s.admin.deliveriesBase.Store(st.Deliveries)
	s.admin.peakMemoryBytes.Store(0)
	c.resetStats()
	c.w.OK()
}

func cmdConfigHelp(c *conn, _ [][]byte) {
	c.helpReply("CONFIG",
		"GET <pattern>",
		"    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>",
		"    Set the configuration <directive> to <value>.",
		"RESETSTAT",
		"    Reset statistics reported by the INFO command.",
		"REWRITE",
		"    Rewrite the configuration file.")
}

// redisCommandDocs is Redis 7.2.6's metadata (src/commands.def) for the
// Redis commands rewind implements or is about to (consumer groups).
// Extracted mechanically; regenerate rather than edit by hand. Flags and
// ACL categories are what Redis reports after adding the implicit ones
// (movablekeys, @read/@write/@fast/@slow/...); keySpec indexes in docArg
// are +1.
var redisCommandDocs = map[string]*commandDoc{
	"auth": {
		arity: -2, flags: "noscript loading stale fast no_auth allow_busy", acl: "@fast @connection",
		summary: "Authenticates the connection.", since: "1.0.0", group: "connection",
		complexity: "O(N) where N is the number of passwords defined for the user",
		history: [][2]string{
			{"6.0.0", "Added ACL style (username and password)."},
		},
		args: []docArg{
			{name: "username", typ: "string", since: "6.0.0", flags: "optional"},
			{name: "password", typ: "string"},
		},
	},
	"echo": {
		arity: 2, flags: "loading stale fast", acl: "@fast @connection",
		summary: "Returns the given string.", since: "1.0.0", group: "connection",
		complexity: "O(1)",
		args: []docArg{
			{name: "message", typ: "string"},
		},
	},
	"hello": {
		arity: -1, flags: "noscript loading stale fast no_auth allow_busy", acl: "@fast @connection",
		summary: "Handshakes with the Redis server.", since: "6.0.0", group: "connection",
		complexity: "O(1)",
		history: [][2]string{
			{"6.2.0", "`protover` made optional; when called without arguments the command reports the current connection's context."},
		},
		args: []docArg{
			{name: "arguments", typ: "block", flags: "optional", args: []docArg{
				{name: "protover", typ: "integer"},
				{name: "auth", typ: "block", token: "AUTH", flags: "optional", args: []docArg{
					{name: "username", typ: "string"},
					{name: "password", typ: "string"},
				}},
				{name: "clientname", typ: "string", token: "SETNAME", flags: "optional"},
			}},
		},
	},
	"ping": {
		arity: -1, flags: "fast", acl: "@fast @connection",
		summary: "Returns the server's liveliness response.", since: "1.0.0", group: "connection",
		complexity: "O(1)",
		tips:       []string{"request_policy:all_shards", "response_policy:all_succeeded"},
		args: []docArg{
			{name: "message", typ: "string", flags: "optional"},
		},
	},
	"quit": {
		arity: -1, flags: "noscript loading stale fast no_auth allow_busy", acl: "@fast @connection",
		summary: "Closes the connection.", since: "1.0.0", group: "connection",
		complexity:      "O(1)",
		docFlags:        "deprecated",
		deprecatedSince: "7.2.0",
		replacedBy:      "just closing the connection",
	},
	"reset": {
		arity: 1, flags: "noscript loading stale fast no_auth allow_busy", acl: "@fast @connection",
		summary: "Resets the connection.", since: "6.2.0", group: "connection",
		complexity: "O(1)",
	},
	"select": {
		arity: 2, flags: "loading stale fast", acl: "@fast @connection",
		summary: "Changes the selected database.", since: "1.0.0", group: "connection",
		complexity: "O(1)",
		args: []docArg{
			{name: "index", typ: "integer"},
		},
	},
	"client": {
		arity: -2, flags: "", acl: "@slow",
		summary: "A container for client connection commands.", since: "2.4.0", group: "connection",
		complexity: "Depends on subcommand.",
	},
	"client|getname": {
		arity: 2, flags: "noscript loading stale", acl: "@slow @connection",
		summary: "Returns the name of the connection.", since: "2.6.9", group: "connection",
		complexity: "O(1)",
	},
	"client|help": {
		arity: 2, flags: "loading stale", acl: "@slow @connection",
		summary: "Returns helpful text about the different subcommands.", since: "5.0.0", group: "connection",
		complexity: "O(1)",
	},
	"client|id": {
		arity: 2, flags: "noscript loading stale", acl: "@slow @connection",
		summary: "Returns the unique client ID of the connection.", since: "5.0.0", group: "connection",
		complexity: "O(1)",
	},
	"client|info": {
		arity: 2, flags: "noscript loading stale", acl: "@slow @connection",
		summary: "Returns information about the connection.", since: "6.2.0", group: "connection",
		complexity: "O(1)",
		tips:       []string{"nondeterministic_output"},
	},
	"client|kill": {
		arity: -3, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous @connection",
		summary: "Terminates open connections.", since: "2.4.0", group: "connection",
		complexity: "O(N) where N is the number of client connections",
		history: [][2]string{
			{"2.8.12", "Added new filter format."},
			{"2.8.12", "`ID` option."},
			{"3.2.0", "Added `master` type in for `TYPE` option."},
			{"5.0.0", "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility."},
			{"6.2.0", "`LADDR` option."},
		},
		args: []docArg{
			{name: "filter", typ: "oneof", args: []docArg{
				{name: "old-format", typ: "string", display: "ip:port", deprecatedSince: "2.8.12"},
				{name: "new-format", typ: "oneof", flags: "multiple", args: []docArg{
					{name: "client-id", typ: "integer", token: "ID", since: "2.8.12", flags: "optional"},
					{name: "client-type", typ: "oneof", token: "TYPE", since: "2.8.12", flags: "optional", args: []docArg{
						{name: "normal", typ: "pure-token", token: "NORMAL"},
						{name: "master", typ: "pure-token", token: "MASTER", since: "3.2.0"},
						{name: "slave", typ: "pure-token", token: "SLAVE"},
						{name: "replica", typ: "pure-token", token: "REPLICA", since: "5.0.0"},
						{name: "pubsub", typ: "pure-token", token: "PUBSUB"},
					}},
					{name: "username", typ: "string", token: "USER", flags: "optional"},
					{name: "addr", typ: "string", display: "ip:port", token: "ADDR", flags: "optional"},
					{name: "laddr", typ: "string", display: "ip:port", token: "LADDR", since: "6.2.0", flags: "optional"},
					{name: "skipme", typ: "oneof", token: "SKIPME", flags: "optional", args: []docArg{
						{name: "yes", typ: "pure-token", token: "YES"},
						{name: "no", typ: "pure-token", token: "NO"},
					}},
				}},
			}},
		},
	},
	"client|list": {
		arity: -2, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous @connection",
		summary: "Lists open connections.", since: "2.4.0", group: "connection",
		complexity: "O(N) where N is the number of client connections",
		tips:       []string{"nondeterministic_output"},
		history: [][2]string{
			{"2.8.12", "Added unique client `id` field."},
			{"5.0.0", "Added optional `TYPE` filter."},
			{"6.0.0", "Added `user` field."},
			{"6.2.0", "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter."},
			{"7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."},
			{"7.0.3", "Added `ssub` field."},
		},
		args: []docArg{
			{name: "client-type", typ: "oneof", token: "TYPE", since: "5.0.0", flags: "optional", args: []docArg{
				{name: "normal", typ: "pure-token", token: "NORMAL"},
				{name: "master", typ: "pure-token", token: "MASTER"},
				{name: "replica", typ: "pure-token", token: "REPLICA"},
				{name: "pubsub", typ: "pure-token", token: "PUBSUB"},
			}},
			{name: "client-id", typ: "integer", token: "ID", since: "6.2.0", flags: "optional multiple"},
		},
	},
	"client|no-evict": {
		arity: 3, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous @connection",
		summary: "Sets the client eviction mode of the connection.", since: "7.0.0", group: "connection",
		complexity: "O(1)",
		args: []docArg{
			{name: "enabled", typ: "oneof", args: []docArg{
				{name: "on", typ: "pure-token", token: "ON"},
				{name: "off", typ: "pure-token", token: "OFF"},
			}},
		},
	},
	"client|no-touch": {
		arity: 3, flags: "noscript loading stale", acl: "@slow @connection",
		summary: "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", since: "7.2.0", group: "connection",
		complexity: "O(1)",
		args: []docArg{
			{name: "enabled", typ: "oneof", args: []docArg{
				{name: "on", typ: "pure-token", token: "ON"},
				{name: "off", typ: "pure-token", token: "OFF"},
			}},
		},
	},
	"client|reply": {
		arity: 3, flags: "noscript loading stale", acl: "@slow @connection",
		summary: "Instructs the server whether to reply to commands.", since: "3.2.0", group: "connection",
		complexity: "O(1)",
		args: []docArg{
			{name: "action", typ: "oneof", args: []docArg{
				{name: "on", typ: "pure-token", token: "ON"},
				{name: "off", typ: "pure-token", token: "OFF"},
				{name: "skip", typ: "pure-token", token: "SKIP"},
			}},
		},
	},
	"client|setinfo": {
		arity: 4, flags: "noscript loading stale", acl: "@slow @connection",
		summary: "Sets information specific to the client or connection.", since: "7.2.0", group: "connection",
		complexity: "O(1)",
		tips:       []string{"request_policy:all_nodes", "response_policy:all_succeeded"},
		args: []docArg{
			{name: "attr", typ: "oneof", args: []docArg{
				{name: "libname", typ: "string", token: "LIB-NAME"},
				{name: "libver", typ: "string", token: "LIB-VER"},
			}},
		},
	},
	"client|setname": {
		arity: 3, flags: "noscript loading stale", acl: "@slow @connection",
		summary: "Sets the connection name.", since: "2.6.9", group: "connection",
		complexity: "O(1)",
		tips:       []string{"request_policy:all_nodes", "response_policy:all_succeeded"},
		args: []docArg{
			{name: "connection-name", typ: "string"},
		},
	},
	"publish": {
		arity: 3, flags: "pubsub loading stale fast", acl: "@pubsub @fast",
		summary: "Posts a message to a channel.", since: "2.0.0", group: "pubsub",
		complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
		args: []docArg{
			{name: "channel", typ: "string"},
			{name: "message", typ: "string"},
		},
	},
	"spublish": {
		arity: 3, flags: "pubsub loading stale fast", acl: "@pubsub @fast",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Post a message to a shard channel", since: "7.0.0", group: "pubsub",
		complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.",
		keySpecs: []keySpec{
			{flags: "not_key", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "shardchannel", typ: "string"},
			{name: "message", typ: "string"},
		},
	},
	"subscribe": {
		arity: -2, flags: "pubsub noscript loading stale", acl: "@pubsub @slow",
		summary: "Listens for messages published to channels.", since: "2.0.0", group: "pubsub",
		complexity: "O(N) where N is the number of channels to subscribe to.",
		args: []docArg{
			{name: "channel", typ: "string", flags: "multiple"},
		},
	},
	"psubscribe": {
		arity: -2, flags: "pubsub noscript loading stale", acl: "@pubsub @slow",
		summary: "Listens for messages published to channels that match one or more patterns.", since: "2.0.0", group: "pubsub",
		complexity: "O(N) where N is the number of patterns to subscribe to.",
		args: []docArg{
			{name: "pattern", typ: "pattern", flags: "multiple"},
		},
	},
	"ssubscribe": {
		arity: -2, flags: "pubsub noscript loading stale", acl: "@pubsub @slow",
		firstKey: 1, lastKey: -1, keyStep: 1,
		summary: "Listens for messages published to shard channels.", since: "7.0.0", group: "pubsub",
		complexity: "O(N) where N is the number of shard channels to subscribe to.",
		keySpecs: []keySpec{
			{flags: "not_key", index: 1, find: keysRange, a: -1, b: 1, c: 0},
		},
		args: []docArg{
			{name: "shardchannel", typ: "string", flags: "multiple"},
		},
	},
	"unsubscribe": {
		arity: -1, flags: "pubsub noscript loading stale", acl: "@pubsub @slow",
		summary: "Stops listening to messages posted to channels.", since: "2.0.0", group: "pubsub",
		complexity: "O(N) where N is the number of channels to unsubscribe.",
		args: []docArg{
			{name: "channel", typ: "string", flags: "optional multiple"},
		},
	},
	"punsubscribe": {
		arity: -1, flags: "pubsub noscript loading stale", acl: "@pubsub @slow",
		summary: "Stops listening to messages published to channels that match one or more patterns.", since: "2.0.0", group: "pubsub",
		complexity: "O(N) where N is the number of patterns to unsubscribe.",
		args: []docArg{
			{name: "pattern", typ: "pattern", flags: "optional multiple"},
		},
	},
	"sunsubscribe": {
		arity: -1, flags: "pubsub noscript loading stale", acl: "@pubsub @slow",
		firstKey: 1, lastKey: -1, keyStep: 1,
		summary: "Stops listening to messages posted to shard channels.", since: "7.0.0", group: "pubsub",
		complexity: "O(N) where N is the number of shard channels to unsubscribe.",
		keySpecs: []keySpec{
			{flags: "not_key", index: 1, find: keysRange, a: -1, b: 1, c: 0},
		},
		args: []docArg{
			{name: "shardchannel", typ: "string", flags: "optional multiple"},
		},
	},
	"pubsub": {
		arity: -2, flags: "", acl: "@slow",
		summary: "A container for Pub/Sub commands.", since: "2.8.0", group: "pubsub",
		complexity: "Depends on subcommand.",
	},
	"pubsub|channels": {
		arity: -2, flags: "pubsub loading stale", acl: "@pubsub @slow",
		summary: "Returns the active channels.", since: "2.8.0", group: "pubsub",
		complexity: "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
		args: []docArg{
			{name: "pattern", typ: "pattern", flags: "optional"},
		},
	},
	"pubsub|shardchannels": {
		arity: -2, flags: "pubsub loading stale", acl: "@pubsub @slow",
		summary: "Returns the active shard channels.", since: "7.0.0", group: "pubsub",
		complexity: "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
		args: []docArg{
			{name: "pattern", typ: "pattern", flags: "optional"},
		},
	},
	"pubsub|numsub": {
		arity: -2, flags: "pubsub loading stale", acl: "@pubsub @slow",
		summary: "Returns a count of subscribers to channels.", since: "2.8.0", group: "pubsub",
		complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
		args: []docArg{
			{name: "channel", typ: "string", flags: "optional multiple"},
		},
	},
	"pubsub|shardnumsub": {
		arity: -2, flags: "pubsub loading stale", acl: "@pubsub @slow",
		summary: "Returns the count of subscribers of shard channels.", since: "7.0.0", group: "pubsub",
		complexity: "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
		args: []docArg{
			{name: "shardchannel", typ: "string", flags: "optional multiple"},
		},
	},
	"pubsub|numpat": {
		arity: 2, flags: "pubsub loading stale", acl: "@pubsub @slow",
		summary: "Returns a count of unique pattern subscriptions.", since: "2.8.0", group: "pubsub",
		complexity: "O(1)",
	},
	"pubsub|help": {
		arity: 2, flags: "loading stale", acl: "@slow",
		summary: "Returns helpful text about the different subcommands.", since: "6.2.0", group: "pubsub",
		complexity: "O(1)",
	},
	"multi": {
		arity: 1, flags: "noscript loading stale fast allow_busy", acl: "@fast @transaction",
		summary: "Starts a transaction.", since: "1.2.0", group: "transactions",
		complexity: "O(1)",
	},
	"exec": {
		arity: 1, flags: "noscript loading stale skip_slowlog", acl: "@slow @transaction",
		summary: "Executes all commands in a transaction.", since: "1.2.0", group: "transactions",
		complexity: "Depends on commands in the transaction",
	},
	"discard": {
		arity: 1, flags: "noscript loading stale fast allow_busy", acl: "@fast @transaction",
		summary: "Discards a transaction.", since: "2.0.0", group: "transactions",
		complexity: "O(N), when N is the number of queued commands",
	},
	"watch": {
		arity: -2, flags: "noscript loading stale fast allow_busy", acl: "@fast @transaction",
		firstKey: 1, lastKey: -1, keyStep: 1,
		summary: "Monitors changes to keys to determine the execution of a transaction.", since: "2.2.0", group: "transactions",
		complexity: "O(1) for every key.",
		keySpecs: []keySpec{
			{flags: "RO", index: 1, find: keysRange, a: -1, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1, flags: "multiple"},
		},
	},
	"unwatch": {
		arity: 1, flags: "noscript loading stale fast allow_busy", acl: "@fast @transaction",
		summary: "Forgets about watched keys of a transaction.", since: "2.2.0", group: "transactions",
		complexity: "O(1)",
	},
	"xadd": {
		arity: -5, flags: "write denyoom fast", acl: "@write @stream @fast",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Appends a new message to a stream. Creates the key if it doesn't exist.", since: "5.0.0", group: "stream",
		complexity: "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
		tips:       []string{"nondeterministic_output"},
		history: [][2]string{
			{"6.2.0", "Added the `NOMKSTREAM` option, `MINID` trimming strategy and the `LIMIT` option."},
			{"7.0.0", "Added support for the `<ms>-*` explicit ID form."},
		},
		keySpecs: []keySpec{
			{notes: "UPDATE instead of INSERT because of the optional trimming feature", flags: "RW update", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "nomkstream", typ: "pure-token", token: "NOMKSTREAM", since: "6.2.0", flags: "optional"},
			{name: "trim", typ: "block", flags: "optional", args: []docArg{
				{name: "strategy", typ: "oneof", args: []docArg{
					{name: "maxlen", typ: "pure-token", token: "MAXLEN"},
					{name: "minid", typ: "pure-token", token: "MINID", since: "6.2.0"},
				}},
				{name: "operator", typ: "oneof", flags: "optional", args: []docArg{
					{name: "equal", typ: "pure-token", token: "="},
					{name: "approximately", typ: "pure-token", token: "~"},
				}},
				{name: "threshold", typ: "string"},
				{name: "count", typ: "integer", token: "LIMIT", since: "6.2.0", flags: "optional"},
			}},
			{name: "id-selector", typ: "oneof", args: []docArg{
				{name: "auto-id", typ: "pure-token", token: "*"},
				{name: "id", typ: "string"},
			}},
			{name: "data", typ: "block", flags: "multiple", args: []docArg{
				{name: "field", typ: "string"},
				{name: "value", typ: "string"},
			}},
		},
	},
	"xrange": {
		arity: -4, flags: "readonly", acl: "@read @stream @slow",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Returns the messages from a stream within a range of IDs.", since: "5.0.0", group: "stream",
		complexity: "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
		history: [][2]string{
			{"6.2.0", "Added exclusive ranges."},
		},
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "start", typ: "string"},
			{name: "end", typ: "string"},
			{name: "count", typ: "integer", token: "COUNT", flags: "optional"},
		},
	},
	"xrevrange": {
		arity: -4, flags: "readonly", acl: "@read @stream @slow",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Returns the messages from a stream within a range of IDs in reverse order.", since: "5.0.0", group: "stream",
		complexity: "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
		history: [][2]string{
			{"6.2.0", "Added exclusive ranges."},
		},
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "end", typ: "string"},
			{name: "start", typ: "string"},
			{name: "count", typ: "integer", token: "COUNT", flags: "optional"},
		},
	},
	"xlen": {
		arity: 2, flags: "readonly fast", acl: "@read @stream @fast",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Return the number of messages in a stream.", since: "5.0.0", group: "stream",
		complexity: "O(1)",
		keySpecs: []keySpec{
			{flags: "RO", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
		},
	},
	"xread": {
		arity: -4, flags: "readonly blocking movablekeys", acl: "@read @stream @slow @blocking",
		summary: "Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise.", since: "5.0.0", group: "stream",
		keySpecs: []keySpec{
			{flags: "RO access", keyword: "STREAMS", startFrom: 1, find: keysRange, a: -1, b: 1, c: 2},
		},
		args: []docArg{
			{name: "count", typ: "integer", token: "COUNT", flags: "optional"},
			{name: "milliseconds", typ: "integer", token: "BLOCK", flags: "optional"},
			{name: "streams", typ: "block", token: "STREAMS", args: []docArg{
				{name: "key", typ: "key", keySpec: 1, flags: "multiple"},
				{name: "id", typ: "string", flags: "multiple"},
			}},
		},
	},
	"xdel": {
		arity: -3, flags: "write fast", acl: "@write @stream @fast",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Returns the number of messages after removing them from a stream.", since: "5.0.0", group: "stream",
		complexity: "O(1) for each single item to delete in the stream, regardless of the stream size.",
		keySpecs: []keySpec{
			{flags: "RW delete", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "id", typ: "string", flags: "multiple"},
		},
	},
	"xtrim": {
		arity: -4, flags: "write", acl: "@write @stream @slow",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Deletes messages from the beginning of a stream.", since: "5.0.0", group: "stream",
		complexity: "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.",
		tips:       []string{"nondeterministic_output"},
		history: [][2]string{
			{"6.2.0", "Added the `MINID` trimming strategy and the `LIMIT` option."},
		},
		keySpecs: []keySpec{
			{flags: "RW delete", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "trim", typ: "block", args: []docArg{
				{name: "strategy", typ: "oneof", args: []docArg{
					{name: "maxlen", typ: "pure-token", token: "MAXLEN"},
					{name: "minid", typ: "pure-token", token: "MINID", since: "6.2.0"},
				}},
				{name: "operator", typ: "oneof", flags: "optional", args: []docArg{
					{name: "equal", typ: "pure-token", token: "="},
					{name: "approximately", typ: "pure-token", token: "~"},
				}},
				{name: "threshold", typ: "string"},
				{name: "count", typ: "integer", token: "LIMIT", since: "6.2.0", flags: "optional"},
			}},
		},
	},
	"xsetid": {
		arity: -3, flags: "write denyoom fast", acl: "@write @stream @fast",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "An internal command for replicating stream values.", since: "5.0.0", group: "stream",
		complexity: "O(1)",
		history: [][2]string{
			{"7.0.0", "Added the `entries_added` and `max_deleted_entry_id` arguments."},
		},
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "last-id", typ: "string"},
			{name: "entries-added", typ: "integer", token: "ENTRIESADDED", since: "7.0.0", flags: "optional"},
			{name: "max-deleted-id", typ: "string", token: "MAXDELETEDID", since: "7.0.0", flags: "optional"},
		},
	},
	"xinfo": {
		arity: -2, flags: "", acl: "@slow",
		summary: "A container for stream introspection commands.", since: "5.0.0", group: "stream",
		complexity: "Depends on subcommand.",
	},
	"xinfo|stream": {
		arity: -3, flags: "readonly", acl: "@read @stream @slow",
		firstKey: 2, lastKey: 2, keyStep: 1,
		summary: "Returns information about a stream.", since: "5.0.0", group: "stream",
		complexity: "O(1)",
		history: [][2]string{
			{"6.0.0", "Added the `FULL` modifier."},
			{"7.0.0", "Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, `entries-read` and `lag` fields"},
			{"7.2.0", "Added the `active-time` field, and changed the meaning of `seen-time`."},
		},
		keySpecs: []keySpec{
			{flags: "RO access", index: 2, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "full-block", typ: "block", flags: "optional", args: []docArg{
				{name: "full", typ: "pure-token", token: "FULL"},
				{name: "count", typ: "integer", token: "COUNT", flags: "optional"},
			}},
		},
	},
	"xinfo|groups": {
		arity: 3, flags: "readonly", acl: "@read @stream @slow",
		firstKey: 2, lastKey: 2, keyStep: 1,
		summary: "Returns a list of the consumer groups of a stream.", since: "5.0.0", group: "stream",
		complexity: "O(1)",
		history: [][2]string{
			{"7.0.0", "Added the `entries-read` and `lag` fields"},
		},
		keySpecs: []keySpec{
			{flags: "RO access", index: 2, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
		},
	},
	"xinfo|consumers": {
		arity: 4, flags: "readonly", acl: "@read @stream @slow",
		firstKey: 2, lastKey: 2, keyStep: 1,
		summary: "Returns a list of the consumers in a consumer group.", since: "5.0.0", group: "stream",
		complexity: "O(1)",
		tips:       []string{"nondeterministic_output"},
		history: [][2]string{
			{"7.2.0", "Added the `inactive` field."},
		},
		keySpecs: []keySpec{
			{flags: "RO access", index: 2, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "group", typ: "string"},
		},
	},
	"xinfo|help": {
		arity: 2, flags: "loading stale", acl: "@stream @slow",
		summary: "Returns helpful text about the different subcommands.", since: "5.0.0", group: "stream",
		complexity: "O(1)",
	},
	"xgroup": {
		arity: -2, flags: "", acl: "@slow",
		summary: "A container for consumer groups commands.", since: "5.0.0", group: "stream",
		complexity: "Depends on subcommand.",
	},
	"xgroup|create": {
		arity: -5, flags: "write denyoom", acl: "@write @stream @slow",
		firstKey: 2, lastKey: 2, keyStep: 1,
		summary: "Creates a consumer group.", since: "5.0.0", group: "stream",
		complexity: "O(1)",
		history: [][2]string{
			{"7.0.0", "Added the `entries_read` named argument."},
		},
		keySpecs: []keySpec{
			{flags: "RW insert", index: 2, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "group", typ: "string"},
			{name: "id-selector", typ: "oneof", args: []docArg{
				{name: "id", typ: "string"},
				{name: "new-id", typ: "pure-token", token: "$"},
			}},
			{name: "mkstream", typ: "pure-token", token: "MKSTREAM", flags: "optional"},
			{name: "entries-read", typ: "integer", token: "ENTRIESREAD", flags: "optional"},
		},
	},
	"xgroup|createconsumer": {
		arity: 5, flags: "write denyoom", acl: "@write @stream @slow",
		firstKey: 2, lastKey: 2, keyStep: 1,
		summary: "Creates a consumer in a consumer group.", since: "6.2.0", group: "stream",
		complexity: "O(1)",
		keySpecs: []keySpec{
			{flags: "RW insert", index: 2, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "group", typ: "string"},
			{name: "consumer", typ: "string"},
		},
	},
	"xgroup|delconsumer": {
		arity: 5, flags: "write", acl: "@write @stream @slow",
		firstKey: 2, lastKey: 2, keyStep: 1,
		summary: "Deletes a consumer from a consumer group.", since: "5.0.0", group: "stream",
		complexity: "O(1)",
		keySpecs: []keySpec{
			{flags: "RW delete", index: 2, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "group", typ: "string"},
			{name: "consumer", typ: "string"},
		},
	},
	"xgroup|destroy": {
		arity: 4, flags: "write", acl: "@write @stream @slow",
		firstKey: 2, lastKey: 2, keyStep: 1,
		summary: "Destroys a consumer group.", since: "5.0.0", group: "stream",
		complexity: "O(N) where N is the number of entries in the group's pending entries list (PEL).",
		keySpecs: []keySpec{
			{flags: "RW delete", index: 2, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "group", typ: "string"},
		},
	},
	"xgroup|setid": {
		arity: -5, flags: "write", acl: "@write @stream @slow",
		firstKey: 2, lastKey: 2, keyStep: 1,
		summary: "Sets the last-delivered ID of a consumer group.", since: "5.0.0", group: "stream",
		complexity: "O(1)",
		history: [][2]string{
			{"7.0.0", "Added the optional `entries_read` argument."},
		},
		keySpecs: []keySpec{
			{flags: "RW update", index: 2, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "group", typ: "string"},
			{name: "id-selector", typ: "oneof", args: []docArg{
				{name: "id", typ: "string"},
				{name: "new-id", typ: "pure-token", token: "$"},
			}},
			{name: "entriesread", typ: "integer", display: "entries-read", token: "ENTRIESREAD", flags: "optional"},
		},
	},
	"xgroup|help": {
		arity: 2, flags: "loading stale", acl: "@stream @slow",
		summary: "Returns helpful text about the different subcommands.", since: "5.0.0", group: "stream",
		complexity: "O(1)",
	},
	"xreadgroup": {
		arity: -7, flags: "write blocking movablekeys", acl: "@write @stream @slow @blocking",
		summary: "Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is available otherwise.", since: "5.0.0", group: "stream",
		complexity: "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
		keySpecs: []keySpec{
			{flags: "RO access", keyword: "STREAMS", startFrom: 4, find: keysRange, a: -1, b: 1, c: 2},
		},
		args: []docArg{
			{name: "group-block", typ: "block", token: "GROUP", args: []docArg{
				{name: "group", typ: "string"},
				{name: "consumer", typ: "string"},
			}},
			{name: "count", typ: "integer", token: "COUNT", flags: "optional"},
			{name: "milliseconds", typ: "integer", token: "BLOCK", flags: "optional"},
			{name: "noack", typ: "pure-token", token: "NOACK", flags: "optional"},
			{name: "streams", typ: "block", token: "STREAMS", args: []docArg{
				{name: "key", typ: "key", keySpec: 1, flags: "multiple"},
				{name: "id", typ: "string", flags: "multiple"},
			}},
		},
	},
	"xack": {
		arity: -4, flags: "write fast", acl: "@write @stream @fast",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Returns the number of messages that were successfully acknowledged by the consumer group member of a stream.", since: "5.0.0", group: "stream",
		complexity: "O(1) for each message ID processed.",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "group", typ: "string"},
			{name: "id", typ: "string", flags: "multiple"},
		},
	},
	"xpending": {
		arity: -3, flags: "readonly", acl: "@read @stream @slow",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Returns the information and entries from a stream consumer group's pending entries list.", since: "5.0.0", group: "stream",
		complexity: "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
		tips:       []string{"nondeterministic_output"},
		history: [][2]string{
			{"6.2.0", "Added the `IDLE` option and exclusive range intervals."},
		},
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "group", typ: "string"},
			{name: "filters", typ: "block", flags: "optional", args: []docArg{
				{name: "min-idle-time", typ: "integer", token: "IDLE", since: "6.2.0", flags: "optional"},
				{name: "start", typ: "string"},
				{name: "end", typ: "string"},
				{name: "count", typ: "integer"},
				{name: "consumer", typ: "string", flags: "optional"},
			}},
		},
	},
	"xclaim": {
		arity: -6, flags: "write fast", acl: "@write @stream @fast",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Changes, or acquires, ownership of a message in a consumer group, as if the message was delivered a consumer group member.", since: "5.0.0", group: "stream",
		complexity: "O(log N) with N being the number of messages in the PEL of the consumer group.",
		tips:       []string{"nondeterministic_output"},
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "group", typ: "string"},
			{name: "consumer", typ: "string"},
			{name: "min-idle-time", typ: "string"},
			{name: "id", typ: "string", flags: "multiple"},
			{name: "ms", typ: "integer", token: "IDLE", flags: "optional"},
			{name: "unix-time-milliseconds", typ: "unix-time", token: "TIME", flags: "optional"},
			{name: "count", typ: "integer", token: "RETRYCOUNT", flags: "optional"},
			{name: "force", typ: "pure-token", token: "FORCE", flags: "optional"},
			{name: "justid", typ: "pure-token", token: "JUSTID", flags: "optional"},
			{name: "lastid", typ: "string", token: "LASTID", flags: "optional"},
		},
	},
	"xautoclaim": {
		arity: -6, flags: "write fast", acl: "@write @stream @fast",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Changes, or acquires, ownership of messages in a consumer group, as if the messages were delivered to as consumer group member.", since: "6.2.0", group: "stream",
		complexity: "O(1) if COUNT is small.",
		tips:       []string{"nondeterministic_output"},
		history: [][2]string{
			{"7.0.0", "Added an element to the reply array, containing deleted entries the command cleared from the PEL"},
		},
		keySpecs: []keySpec{
			{flags: "RW delete", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "group", typ: "string"},
			{name: "consumer", typ: "string"},
			{name: "min-idle-time", typ: "string"},
			{name: "start", typ: "string"},
			{name: "count", typ: "integer", token: "COUNT", flags: "optional"},
			{name: "justid", typ: "pure-token", token: "JUSTID", flags: "optional"},
		},
	},
	"del": {
		arity: -2, flags: "write", acl: "@keyspace @write @slow",
		firstKey: 1, lastKey: -1, keyStep: 1,
		summary: "Deletes one or more keys.", since: "1.0.0", group: "generic",
		complexity: "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
		tips:       []string{"request_policy:multi_shard", "response_policy:agg_sum"},
		keySpecs: []keySpec{
			{flags: "RM delete", index: 1, find: keysRange, a: -1, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1, flags: "multiple"},
		},
	},
	"unlink": {
		arity: -2, flags: "write fast", acl: "@keyspace @write @fast",
		firstKey: 1, lastKey: -1, keyStep: 1,
		summary: "Asynchronously deletes one or more keys.", since: "4.0.0", group: "generic",
		complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
		tips:       []string{"request_policy:multi_shard", "response_policy:agg_sum"},
		keySpecs: []keySpec{
			{flags: "RM delete", index: 1, find: keysRange, a: -1, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1, flags: "multiple"},
		},
	},
	"exists": {
		arity: -2, flags: "readonly fast", acl: "@keyspace @read @fast",
		firstKey: 1, lastKey: -1, keyStep: 1,
		summary: "Determines whether one or more keys exist.", since: "1.0.0", group: "generic",
		complexity: "O(N) where N is the number of keys to check.",
		tips:       []string{"request_policy:multi_shard", "response_policy:agg_sum"},
		history: [][2]string{
			{"3.0.3", "Accepts multiple `key` arguments."},
		},
		keySpecs: []keySpec{
			{flags: "RO", index: 1, find: keysRange, a: -1, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1, flags: "multiple"},
		},
	},
	"type": {
		arity: 2, flags: "readonly fast", acl: "@keyspace @read @fast",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Determines the type of value stored at a key.", since: "1.0.0", group: "generic",
		complexity: "O(1)",
		keySpecs: []keySpec{
			{flags: "RO", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
		},
	},
	"keys": {
		arity: 2, flags: "readonly", acl: "@keyspace @read @slow @dangerous",
		summary: "Returns all key names that match a pattern.", since: "1.0.0", group: "generic",
		complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
		tips:       []string{"request_policy:all_shards", "nondeterministic_output_order"},
		args: []docArg{
			{name: "pattern", typ: "pattern"},
		},
	},
	"scan": {
		arity: -2, flags: "readonly", acl: "@keyspace @read @slow",
		summary: "Iterates over the key names in the database.", since: "2.8.0", group: "generic",
		complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
		tips:       []string{"nondeterministic_output", "request_policy:special", "response_policy:special"},
		history: [][2]string{
			{"6.0.0", "Added the `TYPE` subcommand."},
		},
		args: []docArg{
			{name: "cursor", typ: "integer"},
			{name: "pattern", typ: "pattern", token: "MATCH", flags: "optional"},
			{name: "count", typ: "integer", token: "COUNT", flags: "optional"},
			{name: "type", typ: "string", token: "TYPE", since: "6.0.0", flags: "optional"},
		},
	},
	"randomkey": {
		arity: 1, flags: "readonly", acl: "@keyspace @read @slow",
		summary: "Returns a random key name from the database.", since: "1.0.0", group: "generic",
		complexity: "O(1)",
		tips:       []string{"request_policy:all_shards", "response_policy:special", "nondeterministic_output"},
	},
	"ttl": {
		arity: 2, flags: "readonly fast", acl: "@keyspace @read @fast",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Returns the expiration time in seconds of a key.", since: "1.0.0", group: "generic",
		complexity: "O(1)",
		tips:       []string{"nondeterministic_output"},
		history: [][2]string{
			{"2.8.0", "Added the -2 reply."},
		},
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
		},
	},
	"pttl": {
		arity: 2, flags: "readonly fast", acl: "@keyspace @read @fast",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Returns the expiration time in milliseconds of a key.", since: "2.6.0", group: "generic",
		complexity: "O(1)",
		tips:       []string{"nondeterministic_output"},
		history: [][2]string{
			{"2.8.0", "Added the -2 reply."},
		},
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
		},
	},
	"command": {
		arity: -1, flags: "loading stale", acl: "@slow @connection",
		summary: "Returns detailed information about all commands.", since: "2.8.13", group: "server",
		complexity: "O(N) where N is the total number of Redis commands",
		tips:       []string{"nondeterministic_output_order"},
	},
	"command|count": {
		arity: 2, flags: "loading stale", acl: "@slow @connection",
		summary: "Returns a count of commands.", since: "2.8.13", group: "server",
		complexity: "O(1)",
	},
	"command|docs": {
		arity: -2, flags: "loading stale", acl: "@slow @connection",
		summary: "Returns documentary information about one, multiple or all commands.", since: "7.0.0", group: "server",
		complexity: "O(N) where N is the number of commands to look up",
		tips:       []string{"nondeterministic_output_order"},
		args: []docArg{
			{name: "command-name", typ: "string", flags: "optional multiple"},
		},
	},
	"command|getkeys": {
		arity: -3, flags: "loading stale", acl: "@slow @connection",
		summary: "Extracts the key names from an arbitrary command.", since: "2.8.13", group: "server",
		complexity: "O(N) where N is the number of arguments to the command",
		args: []docArg{
			{name: "command", typ: "string"},
			{name: "arg", typ: "string", flags: "optional multiple"},
		},
	},
	"command|getkeysandflags": {
		arity: -3, flags: "loading stale", acl: "@slow @connection",
		summary: "Extracts the key names and access flags for an arbitrary command.", since: "7.0.0", group: "server",
		complexity: "O(N) where N is the number of arguments to the command",
		args: []docArg{
			{name: "command", typ: "string"},
			{name: "arg", typ: "string", flags: "optional multiple"},
		},
	},
	"command|help": {
		arity: 2, flags: "loading stale", acl: "@slow @connection",
		summary: "Returns helpful text about the different subcommands.", since: "5.0.0", group: "server",
		complexity: "O(1)",
	},
	"command|info": {
		arity: -2, flags: "loading stale", acl: "@slow @connection",
		summary: "Returns information about one, multiple or all commands.", since: "2.8.13", group: "server",
		complexity: "O(N) where N is the number of commands to look up",
		tips:       []string{"nondeterministic_output_order"},
		history: [][2]string{
			{"7.0.0", "Allowed to be called with no argument to get info on all commands."},
		},
		args: []docArg{
			{name: "command-name", typ: "string", flags: "optional multiple"},
		},
	},
	"command|list": {
		arity: -2, flags: "loading stale", acl: "@slow @connection",
		summary: "Returns a list of command names.", since: "7.0.0", group: "server",
		complexity: "O(N) where N is the total number of Redis commands",
		tips:       []string{"nondeterministic_output_order"},
		args: []docArg{
			{name: "filterby", typ: "oneof", token: "FILTERBY", flags: "optional", args: []docArg{
				{name: "module-name", typ: "string", token: "MODULE"},
				{name: "category", typ: "string", token: "ACLCAT"},
				{name: "pattern", typ: "pattern", token: "PATTERN"},
			}},
		},
	},
	"info": {
		arity: -1, flags: "loading stale", acl: "@slow @dangerous",
		summary: "Returns information and statistics about the server.", since: "1.0.0", group: "server",
		complexity: "O(1)",
		tips:       []string{"nondeterministic_output", "request_policy:all_shards", "response_policy:special"},
		history: [][2]string{
			{"7.0.0", "Added support for taking multiple section arguments."},
		},
		args: []docArg{
			{name: "section", typ: "string", flags: "optional multiple"},
		},
	},
	"config": {
		arity: -2, flags: "", acl: "@slow",
		summary: "A container for server configuration commands.", since: "2.0.0", group: "server",
		complexity: "Depends on subcommand.",
	},
	"config|get": {
		arity: -3, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous",
		summary: "Returns the effective values of configuration parameters.", since: "2.0.0", group: "server",
		complexity: "O(N) when N is the number of configuration parameters provided",
		history: [][2]string{
			{"7.0.0", "Added the ability to pass multiple pattern parameters in one call"},
		},
		args: []docArg{
			{name: "parameter", typ: "string", flags: "multiple"},
		},
	},
	"config|set": {
		arity: -4, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous",
		summary: "Sets configuration parameters in-flight.", since: "2.0.0", group: "server",
		complexity: "O(N) when N is the number of configuration parameters provided",
		tips:       []string{"request_policy:all_nodes", "response_policy:all_succeeded"},
		history: [][2]string{
			{"7.0.0", "Added the ability to set multiple parameters in one call."},
		},
		args: []docArg{
			{name: "data", typ: "block", flags: "multiple", args: []docArg{
				{name: "parameter", typ: "string"},
				{name: "value", typ: "string"},
			}},
		},
	},
	"config|resetstat": {
		arity: 2, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous",
		summary: "Resets the server's statistics.", since: "2.0.0", group: "server",
		complexity: "O(1)",
		tips:       []string{"request_policy:all_nodes", "response_policy:all_succeeded"},
	},
	"config|rewrite": {
		arity: 2, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous",
		summary: "Persists the effective configuration to file.", since: "2.8.0", group: "server",
		complexity: "O(1)",
		tips:       []string{"request_policy:all_nodes", "response_policy:all_succeeded"},
	},
	"config|help": {
		arity: 2, flags: "loading stale", acl: "@slow",
		summary: "Returns helpful text about the different subcommands.", since: "5.0.0", group: "server",
		complexity: "O(1)",
	},
	"dbsize": {
		arity: 1, flags: "readonly fast", acl: "@keyspace @read @fast",
		summary: "Returns the number of keys in the database.", since: "1.0.0", group: "server",
		complexity: "O(1)",
		tips:       []string{"request_policy:all_shards", "response_policy:agg_sum"},
	},
	"time": {
		arity: 1, flags: "loading stale fast", acl: "@fast",
		summary: "Returns the server time.", since: "2.6.0", group: "server",
		complexity: "O(1)",
		tips:       []string{"nondeterministic_output"},
	},
	"lastsave": {
		arity: 1, flags: "loading stale fast", acl: "@admin @fast @dangerous",
		summary: "Returns the Unix timestamp of the last successful save to disk.", since: "1.0.0", group: "server",
		complexity: "O(1)",
		tips:       []string{"nondeterministic_output"},
	},
	"save": {
		arity: 1, flags: "admin noscript no_async_loading no_multi", acl: "@admin @slow @dangerous",
		summary: "Synchronously saves the database(s) to disk.", since: "1.0.0", group: "server",
		complexity: "O(N) where N is the total number of keys in all databases",
	},
	"bgsave": {
		arity: -1, flags: "admin noscript no_async_loading", acl: "@admin @slow @dangerous",
		summary: "Asynchronously saves the database(s) to disk.", since: "1.0.0", group: "server",
		complexity: "O(1)",
		history: [][2]string{
			{"3.2.2", "Added the `SCHEDULE` option."},
		},
		args: []docArg{
			{name: "schedule", typ: "pure-token", token: "SCHEDULE", since: "3.2.2", flags: "optional"},
		},
	},
	"shutdown": {
		arity: -1, flags: "admin noscript loading stale no_multi allow_busy", acl: "@admin @slow @dangerous",
		summary: "Synchronously saves the database(s) to disk and shuts down the Redis server.", since: "1.0.0", group: "server",
		complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
		history: [][2]string{
			{"7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers."},
		},
		args: []docArg{
			{name: "save-selector", typ: "oneof", flags: "optional", args: []docArg{
				{name: "nosave", typ: "pure-token", token: "NOSAVE"},
				{name: "save", typ: "pure-token", token: "SAVE"},
			}},
			{name: "now", typ: "pure-token", token: "NOW", since: "7.0.0", flags: "optional"},
			{name: "force", typ: "pure-token", token: "FORCE", since: "7.0.0", flags: "optional"},
			{name: "abort", typ: "pure-token", token: "ABORT", since: "7.0.0", flags: "optional"},
		},
	},
	"flushall": {
		arity: -1, flags: "write", acl: "@keyspace @write @slow @dangerous",
		summary: "Removes all keys from all databases.", since: "1.0.0", group: "server",
		complexity: "O(N) where N is the total number of keys in all databases",
		tips:       []string{"request_policy:all_shards", "response_policy:all_succeeded"},
		history: [][2]string{
			{"4.0.0", "Added the `ASYNC` flushing mode modifier."},
			{"6.2.0", "Added the `SYNC` flushing mode modifier."},
		},
		args: []docArg{
			{name: "flush-type", typ: "oneof", flags: "optional", args: []docArg{
				{name: "async", typ: "pure-token", token: "ASYNC", since: "4.0.0"},
				{name: "sync", typ: "pure-token", token: "SYNC", since: "6.2.0"},
			}},
		},
	},
	"flushdb": {
		arity: -1, flags: "write", acl: "@keyspace @write @slow @dangerous",
		summary: "Remove all keys from the current database.", since: "1.0.0", group: "server",
		complexity: "O(N) where N is the number of keys in the selected database",
		tips:       []string{"request_policy:all_shards", "response_policy:all_succeeded"},
		history: [][2]string{
			{"4.0.0", "Added the `ASYNC` flushing mode modifier."},
			{"6.2.0", "Added the `SYNC` flushing mode modifier."},
		},
		args: []docArg{
			{name: "flush-type", typ: "oneof", flags: "optional", args: []docArg{
				{name: "async", typ: "pure-token", token: "ASYNC", since: "4.0.0"},
				{name: "sync", typ: "pure-token", token: "SYNC", since: "6.2.0"},
			}},
		},
	},
}
