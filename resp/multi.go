package resp

import (
	"github.com/rewind-mq/rewind/broker"
)

func init() {
	register(
		&command{name: "multi", arity: 1, flags: flagNoScript | flagLoading | flagStale | flagFast, group: "transactions", since: "1.2.0",
			summary: "Starts a transaction.", run: cmdMulti},
		&command{name: "exec", arity: 1, flags: flagNoScript | flagLoading | flagStale, group: "transactions", since: "1.2.0",
			summary: "Executes all commands in a transaction.", run: cmdExec},
		&command{name: "discard", arity: 1, flags: flagNoScript | flagLoading | flagStale | flagFast, group: "transactions", since: "2.0.0",
			summary: "Discards a transaction.", run: cmdDiscard},
		&command{name: "watch", arity: -2, flags: flagNoScript | flagLoading | flagStale | flagFast, firstKey: 1, lastKey: -1, keyStep: 1,
			group: "transactions", since: "2.2.0", summary: "Monitors changes to keys to determine the execution of a transaction.", run: cmdWatch},
		&command{name: "unwatch", arity: 1, flags: flagNoScript | flagLoading | flagStale | flagFast, group: "transactions", since: "2.2.0",
			summary: "Forgets about watched keys of a transaction.", run: func(c *conn, _ [][]byte) { c.watched = nil; c.w.OK() }},
	)
}

// multiState is an open MULTI: the queued commands (arguments copied, since
// they outlive the read buffer) and whether queuing failed.
type multiState struct {
	cmds  []queuedCmd
	dirty bool
}

type queuedCmd struct {
	cmd  *command
	args [][]byte
}

// watchedKey is a WATCHed channel and its durable state at WATCH time.
type watchedKey struct {
	name   string
	meta   broker.Meta
	exists bool
}

// queueInMulti queues cmd inside MULTI and reports whether it did (or
// rejected it); MULTI's own control commands run normally.
func (c *conn) queueInMulti(cmd *command, args [][]byte) bool {
	switch cmd.name {
	case "exec", "discard", "multi", "quit", "reset":
		return false
	case "watch":
		// Redis runs WATCH here, and WATCH fails.
		c.w.Error(replyWatchInMulti)
		c.countCall(cmd, 0, true)
		return true
	}
	if cmd.flags&flagNoMulti != 0 {
		c.w.Error(replyNotInMulti)
		c.countRejected(cmd)
		c.multi.dirty = true
		return true
	}
	if !arityOK(cmd.arity, len(args)) {
		c.wrongArity(cmd)
		c.countRejected(cmd)
		c.multi.dirty = true
		return true
	}
	copied := make([][]byte, len(args))
	for i, a := range args {
		copied[i] = append([]byte(nil), a...)
	}
	c.multi.cmds = append(c.multi.cmds, queuedCmd{cmd: cmd, args: copied})
	c.w.Simple("QUEUED")
	return true
}

func cmdMulti(c *conn, _ [][]byte) {
	if c.multi != nil {
		c.w.Error(replyMultiNested)
		return
	}
	c.multi = &multiState{}
	c.w.OK()
}

func cmdDiscard(c *conn, _ [][]byte) {
	if c.multi == nil {
		c.w.Error(replyDiscardWithoutMulti)
		return
	}
	c.multi, c.watched = nil, nil
	c.w.OK()
}

// cmdExec runs the queued commands. Their writes go into one request, so
// they commit as one atomic batch (a read in between first commits the
// writes before it).
func cmdExec(c *conn, _ [][]byte) {
	m := c.multi
	if m == nil {
		c.w.Error(replyExecWithoutMulti)
		return
	}
	c.multi = nil
	watched := c.watched
	c.watched = nil
	if m.dirty {
		c.w.Error(replyExecAbort)
		return
	}
	if !c.watchIntact(watched) {
		c.w.NullArray()
		return
	}
	c.w.Array(len(m.cmds))
	c.inExec = true
	for _, q := range m.cmds {
		c.run(q.cmd, q.args)
	}
	c.drain()
	c.inExec = false
}

func cmdWatch(c *conn, args [][]byte) {
	for _, a := range args[1:] {
		m, ok := c.s.b.Meta(a)
		c.watched = append(c.watched, watchedKey{name: string(a), meta: m, exists: ok})
	}
	c.w.OK()
}

// watchIntact reports whether no watched channel changed since WATCH.
func (c *conn) watchIntact(watched []watchedKey) bool {
	for _, k := range watched {
		m, ok := c.s.b.Meta([]byte(k.name))
		if ok != k.exists || m != k.meta {
			return false
		}
	}
	return true
}
