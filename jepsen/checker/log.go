package checker

import (
	"fmt"
	"sort"

	"github.com/rewind-mq/rewind/jepsen/history"
)

// checkWrites finds acknowledged writes missing from the final log, XADD
// replies whose ID does not hold the value, and unexplained duplicates.
func (m *model) checkWrites() {
	for _, c := range m.channels {
		if c.finalOp < 0 {
			continue
		}
		for value, attempts := range c.writes {
			m.checkValue(c, value, attempts)
		}
	}
}

func (m *model) checkValue(c *channelLog, value string, attempts []attempt) {
	positions := c.valuePos[value]
	for _, a := range attempts {
		if !a.ok() {
			continue
		}
		if len(positions) == 0 {
			m.rep.add(Anomaly{Kind: KindLost, Channel: c.name, Value: value, ID: a.done.ID,
				Detail: fmt.Sprintf("%s acknowledged at %s, absent from the final log (%d entries)", a.inv.F, fmtTime(a.done.Time), len(c.final)),
				Ops:    []int{a.inv.Index, a.done.Index, c.finalOp}})
			break
		}
		if a.done.ID != "" && !holds(c, a.done.ID, value) {
			m.rep.add(Anomaly{Kind: KindWrongID, Channel: c.name, Value: value, ID: a.done.ID,
				Detail: fmt.Sprintf("XADD acknowledged ID %s; the final log holds the value at %s", a.done.ID, c.final[positions[0]].ID),
				Ops:    []int{a.done.Index, c.finalOp}})
		}
	}
	if len(positions) > 1 && len(attempts) < 2 {
		m.rep.add(Anomaly{Kind: KindDuplicate, Channel: c.name, Value: value,
			Detail: fmt.Sprintf("stored %d times (at %s and %s), written once", len(positions), c.final[positions[0]].ID, c.final[positions[1]].ID),
			Ops:    []int{attempts[0].inv.Index, c.finalOp}})
	}
}

// holds reports whether the final log has value at id.
func holds(c *channelLog, id, value string) bool {
	p, ok := c.pos[id]
	return ok && c.final[p].Value == value
}

// checkReads checks every read against the final log.
func (m *model) checkReads() {
	acked := m.ackedPositions()
	for _, op := range m.reads {
		c := m.channels[op.Channel]
		m.checkPhantoms(c, op)
		if c.finalOp < 0 || op.Index == c.finalOp {
			continue
		}
		m.checkReadOrder(c, op)
		if fromStart(op) {
			m.checkStale(c, op, acked[op.Channel])
		}
	}
}

func (m *model) checkPhantoms(c *channelLog, op history.Op) {
	for _, e := range op.Entries {
		if !c.written(e.Value) {
			m.rep.add(Anomaly{Kind: KindPhantom, Channel: c.name, Value: e.Value, ID: e.ID,
				Detail: fmt.Sprintf("%s returned %s, a value no client wrote", op.F, describeEntry(e)), Ops: []int{op.Index}})
		}
	}
}

// checkReadOrder: a read's entries, after the one it started after, must be
// consecutive entries of the final log, in order.
func (m *model) checkReadOrder(c *channelLog, op history.Op) {
	prevPos, prevID := -1, "" // -1: the start of the log
	if op.After != nil {
		prevID = op.After.ID
		prevPos = -2 // unknown
		if holds(c, op.After.ID, op.After.Value) {
			prevPos = c.pos[op.After.ID]
		}
	}
	for _, e := range op.Entries {
		if prevID != "" && !idLess(prevID, e.ID) {
			m.rep.add(Anomaly{Kind: KindOrder, Channel: c.name, Value: e.Value, ID: e.ID,
				Detail: fmt.Sprintf("%s returned ID %s after %s", op.F, e.ID, prevID), Ops: []int{op.Index}})
		}
		prevID = e.ID
		p, ok := m.position(c, op, e)
		if !ok {
			prevPos = -2
			continue
		}
		m.checkStep(c, op, e, prevPos, p)
		prevPos = p
	}
}

// position finds e in the final log, reporting entries that are not there.
func (m *model) position(c *channelLog, op history.Op, e history.Entry) (int, bool) {
	if holds(c, e.ID, e.Value) {
		return c.pos[e.ID], true
	}
	switch {
	case len(c.valuePos[e.Value]) > 0:
		m.rep.add(Anomaly{Kind: KindWrongID, Channel: c.name, Value: e.Value, ID: e.ID,
			Detail: fmt.Sprintf("%s returned %s; the final log holds the value at %s", op.F, describeEntry(e), c.final[c.valuePos[e.Value][0]].ID),
			Ops:    []int{op.Index, c.finalOp}})
	case c.written(e.Value):
		m.rep.add(Anomaly{Kind: KindUncommittedRead, Channel: c.name, Value: e.Value, ID: e.ID,
			Detail: fmt.Sprintf("%s returned %s, which the final log does not hold", op.F, describeEntry(e)),
			Ops:    []int{op.Index, c.finalOp}})
	}
	return 0, false
}

// checkStep checks that the entry at final position p directly follows
// the one at prevPos (-1: the start; -2: unknown).
func (m *model) checkStep(c *channelLog, op history.Op, e history.Entry, prevPos, p int) {
	switch {
	case prevPos == -2 || p == prevPos+1:
	case p <= prevPos:
		m.rep.add(Anomaly{Kind: KindOrder, Channel: c.name, Value: e.Value, ID: e.ID,
			Detail: fmt.Sprintf("%s returned %s after %s, which the final log holds later", op.F, describeEntry(e), describeEntry(c.final[prevPos])),
			Ops:    []int{op.Index, c.finalOp}})
	default:
		missing := c.final[prevPos+1]
		m.rep.add(Anomaly{Kind: KindGap, Channel: c.name, Value: missing.Value, ID: missing.ID,
			Detail: fmt.Sprintf("%s skipped %d entries before %s, first %s", op.F, p-prevPos-1, describeEntry(e), describeEntry(missing)),
			Ops:    []int{op.Index, c.finalOp}})
	}
}

// ackedPoint is when a write was acknowledged and where the final log
// holds it; maxPos is the largest position acknowledged up to then.
type ackedPoint struct {
	time   int64
	maxPos int
	op     int
}

// ackedPositions lists, per channel, acknowledgements in time order with
// the running maximum of their final-log positions.
func (m *model) ackedPositions() map[string][]ackedPoint {
	out := map[string][]ackedPoint{}
	for name, c := range m.channels {
		var pts []ackedPoint
		for value, attempts := range c.writes {
			ps := c.valuePos[value]
			if len(ps) == 0 {
				continue
			}
			for _, a := range attempts {
				if a.ok() {
					pts = append(pts, ackedPoint{time: a.done.Time, maxPos: ps[0], op: a.done.Index})
				}
			}
		}
		sort.Slice(pts, func(i, j int) bool { return pts[i].time < pts[j].time })
		for i := 1; i < len(pts); i++ {
			if pts[i].maxPos < pts[i-1].maxPos {
				pts[i].maxPos, pts[i].op = pts[i-1].maxPos, pts[i-1].op
			}
		}
		out[name] = pts
	}
	return out
}

// checkStale: a read of the whole channel must include every write
// acknowledged before the read began.
func (m *model) checkStale(c *channelLog, op history.Op, acked []ackedPoint) {
	invoked := m.invokeTime(op)
	i := sort.Search(len(acked), func(i int) bool { return acked[i].time >= invoked })
	if i == 0 {
		return
	}
	need := acked[i-1]
	last := op.After
	if n := len(op.Entries); n > 0 {
		last = &op.Entries[n-1]
	}
	if last != nil && holds(c, last.ID, last.Value) && c.pos[last.ID] >= need.maxPos {
		return
	}
	want := c.final[need.maxPos]
	m.rep.add(Anomaly{Kind: KindStaleRead, Channel: c.name, Value: want.Value, ID: want.ID,
		Detail: fmt.Sprintf("%s of the whole channel (%d entries) lacks %s, acknowledged before the read began", op.F, op.Count, describeEntry(want)),
		Ops:    []int{need.op, op.Index}})
}

// invokeTime finds the invocation time of a completion.
func (m *model) invokeTime(done history.Op) int64 {
	for i := m.byIndex[done.Index] - 1; i >= 0; i-- {
		if op := m.ops[i]; op.Process == done.Process && op.Type == history.Invoke {
			return op.Time
		}
	}
	return done.Time
}

// checkIDOrder: per channel, a write acknowledged with an ID must get an ID
// above that of every write acknowledged before it was invoked (also
// across crashes). Publishes take their ID from the final log.
func (m *model) checkIDOrder() {
	for _, c := range m.channels {
		var ws []attempt
		for value, attempts := range c.writes {
			for _, a := range attempts {
				if !a.ok() {
					continue
				}
				if a.done.ID == "" && len(c.valuePos[value]) == 1 {
					a.done.ID = c.final[c.valuePos[value][0]].ID
				}
				if a.done.ID != "" {
					ws = append(ws, a)
				}
			}
		}
		m.checkIDOrderOf(c, ws)
	}
}

func (m *model) checkIDOrderOf(c *channelLog, ws []attempt) {
	byInvoke := append([]attempt(nil), ws...)
	sort.Slice(byInvoke, func(i, j int) bool { return byInvoke[i].inv.Time < byInvoke[j].inv.Time })
	sort.Slice(ws, func(i, j int) bool { return ws[i].done.Time < ws[j].done.Time })
	var maxID string
	var maxOp history.Op
	j := 0
	for _, w := range byInvoke {
		for ; j < len(ws) && ws[j].done.Time < w.inv.Time; j++ {
			if maxID == "" || idLess(maxID, ws[j].done.ID) {
				maxID, maxOp = ws[j].done.ID, ws[j].done
			}
		}
		if maxID != "" && !idLess(maxID, w.done.ID) {
			m.rep.add(Anomaly{Kind: KindIDOrder, Channel: c.name, Value: w.inv.Value, ID: w.done.ID,
				Detail: fmt.Sprintf("%s got ID %s, not above %s acknowledged at %s before it began at %s", w.inv.F, w.done.ID, maxID, fmtTime(maxOp.Time), fmtTime(w.inv.Time)),
				Ops:    []int{maxOp.Index, w.inv.Index, w.done.Index}})
		}
	}
}

func fmtTime(ns int64) string { return fmt.Sprintf("%.3fs", float64(ns)/1e9) }

// fromStart reports whether a read began at the start of the channel.
func fromStart(op history.Op) bool { return op.After == nil || op.Same > 0 }
