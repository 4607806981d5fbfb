package resp

import (
	"github.com/rewind-mq/rewind/broker"
)

// redisVersion is the Redis version whose behaviour rewind reproduces; it is
// what HELLO and INFO report as redis_version, since clients gate features
// on it.
const redisVersion = "7.2.0"

func init() {
	register(
		&command{name: "ping", arity: -1, flags: flagFast | flagPubSub | flagLoading | flagStale, group: "connection", since: "1.0.0",
			summary: "Returns the server's liveliness response.", run: cmdPing},
		&command{name: "echo", arity: 2, flags: flagFast | flagLoading | flagStale, group: "connection", since: "1.0.0",
			summary: "Returns the given string.", run: func(c *conn, a [][]byte) { c.w.Bulk(a[1]) }},
		&command{name: "quit", arity: -1, flags: flagFast | flagPubSub | flagLoading | flagStale | flagNoScript, group: "connection", since: "1.0.0",
			summary: "Closes the connection.", run: func(c *conn, _ [][]byte) { c.w.OK(); c.quit = true }},
		&command{name: "select", arity: 2, flags: flagFast | flagLoading | flagStale, group: "connection", since: "1.0.0",
			summary: "Changes the selected database.", run: cmdSelect},
		&command{name: "hello", arity: -1, flags: flagFast | flagLoading | flagStale | flagNoScript, group: "connection", since: "6.0.0",
			summary: "Handshakes with the Redis server.", run: cmdHello},
		&command{name: "auth", arity: -2, flags: flagFast | flagLoading | flagStale | flagNoScript, group: "connection", since: "1.0.0",
			summary: "Authenticates the connection.", run: cmdAuth},
		&command{name: "reset", arity: 1, flags: flagFast | flagPubSub | flagLoading | flagStale | flagNoScript, group: "connection", since: "6.2.0",
			summary: "Resets the connection.", run: cmdReset},
	)
}

func cmdPing(c *conn, args [][]byte) {
	if len(args) > 2 {
		c.wrongArity(commandTable["ping"])
		return
	}
	if c.w.proto == 2 && c.subscribed() {
		c.w.Array(2)
		c.w.BulkString("pong")
		if len(args) == 2 {
			c.w.Bulk(args[1])
		} else {
			c.w.BulkString("")
		}
		return
	}
	if len(args) == 2 {
		c.w.Bulk(args[1])
		return
	}
	c.w.Simple("PONG")
}

func cmdSelect(c *conn, args [][]byte) {
	n, ok := parseInt64(args[1])
	switch {
	case !ok:
		c.writeError(errNotInteger)
	case n != 0:
		c.w.Error(replyDBIndex)
	default:
		c.w.OK()
	}
}

func cmdAuth(c *conn, args [][]byte) {
	switch len(args) {
	case 2:
		c.w.Error(replyAuthNoPassword)
	case 3:
		if string(args[1]) == "default" {
			c.w.OK()
			return
		}
		c.w.Error(replyWrongPass)
	default:
		c.writeError(errSyntax)
	}
}

// cmdHello switches the protocol version and replies with the server's
// handshake map.
func cmdHello(c *conn, args [][]byte) {
	proto := c.w.proto
	if len(args) >= 2 {
		n, ok := parseInt64(args[1])
		if !ok {
			c.w.Error(replyProtoNotInteger)
			return
		}
		if n != 2 && n != 3 {
			c.w.Error(replyNoProto)
			return
		}
		proto = int(n)
	}
	var name []byte
	setName := false
	for i := 2; i < len(args); i++ {
		more := len(args) - 1 - i
		switch {
		case eq(args[i], "auth") && more >= 2:
			if string(args[i+1]) != "default" {
				c.w.Error(replyWrongPass)
				return
			}
			i += 2
		case eq(args[i], "setname") && more >= 1:
			if !validClientName(args[i+1]) {
				c.w.Error(replyBadClientName)
				return
			}
			name, setName = args[i+1], true
			i++
		default:
			c.w.Error("ERR Syntax error in HELLO option '" + clip(args[i]) + "'")
			return
		}
	}
	if setName {
		c.setName(string(name))
	}
	c.setProto(proto)
	c.w.Map(7)
	c.w.BulkString("server")
	c.w.BulkString("redis")
	c.w.BulkString("version")
	c.w.BulkString(redisVersion)
	c.w.BulkString("proto")
	c.w.Int(int64(proto))
	c.w.BulkString("id")
	c.w.Int(c.id)
	c.w.BulkString("mode")
	c.w.BulkString("standalone")
	c.w.BulkString("role")
	c.w.BulkString("master")
	c.w.BulkString("modules")
	c.w.Array(0)
}

func cmdReset(c *conn, _ [][]byte) {
	c.closeResume()
	c.unsubscribeAll()
	c.multi, c.watched = nil, nil
	c.setProto(2)
	c.setName("")
	c.resetReply()
	c.w.Simple("RESET")
}

// validClientName reports whether a client name is acceptable to Redis: no
// spaces, newlines or characters outside '!'..'~'.
func validClientName(b []byte) bool {
	for _, ch := range b {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

func (c *conn) setName(name string) {
	c.info.mu.Lock()
	c.info.name = name
	c.info.mu.Unlock()
}

var _ broker.Subscriber = (*conn)(nil)
