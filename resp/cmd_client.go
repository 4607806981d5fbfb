package resp

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CLIENT: the connection commands, with Redis 7.2's reply shapes and
// error strings.

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
	)
}

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
		c.w.Error(replyBadClientName)
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
				c.w.Error(replyInvalidClientID)
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
		c.w.Error(replyNoSuchClient)
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
				c.w.Error(replyClientIDPositive)
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
