package wal

// The pending limit, after NATS JetStream's MaxAckPending: a group whose
// pending entries list holds its limit of delivered but unacknowledged
// entries gets no new entries from XREADGROUP ">" (the reply is the one
// for "nothing new", or the read blocks) until acknowledgements — XACK,
// XACKDEL, claims that drop deleted entries, DELCONSUMER, DESTROY, DEL,
// dead-lettering — make room, and one read delivers at most the room
// left (COUNT is capped by it).
//
// The limit is the group's own Config.MaxPending or, when that is 0, the
// server's default, which the read carries as an input
// (Command.MaxPending): the decision depends on the stored state and the
// command only, so every replica applying the read decides the same.
// NOACK reads add no pending entries and are not limited. Claims move
// entries between consumers, history reads and redeliveries (past their
// ack wait) hand out entries that are pending already: none of them is
// limited. A lower limit set on a fuller group delivers nothing new until
// the group is below it.
//
// A read held back marks its group (writer state, not stored, read by no
// apply step): the first batch that leaves the group with room wakes the
// channel's waiting readers (Watch), as a destroyed group does.

// pendingLimit is the most pending entries g may hold, given the server's
// default; 0: no limit.
func (g *group) pendingLimit(serverDefault int64) int64 {
	if g.cfg.MaxPending > 0 {
		return g.cfg.MaxPending
	}
	return max(serverDefault, 0)
}

// pendingRoom is how many new entries read p may add to g's pending
// entries list; -1 when nothing limits it.
func (g *group) pendingRoom(p op) int64 {
	limit := g.pendingLimit(p.MaxPending)
	if p.NoAck || limit == 0 {
		return -1
	}
	return max(limit-int64(g.pel.Len()), 0)
}

// holdBack records that read p left new entries undelivered for want of
// room in g's pending entries list.
func (g *group) holdBack(p op) {
	p.HeldBack = true
	g.roomWanted, g.roomDefault = true, p.MaxPending
}

// roomAppeared reports whether g held a read back and now has room for a
// new entry; it reports each such change once.
func (g *group) roomAppeared() bool {
	if !g.roomWanted {
		return false
	}
	if limit := g.pendingLimit(g.roomDefault); limit > 0 && int64(g.pel.Len()) >= limit {
		return false
	}
	g.roomWanted = false
	return true
}
