package checker

import (
	"fmt"
	"math"
	"sort"

	"github.com/rewind-mq/rewind/jepsen/history"
)

// Named (resumable) subscribers. A name's sessions, in order, from its
// first session that ended with a confirmed UNSUBSCRIBE (which saved its
// cursor durably) on, must together receive each channel's final log
// without a gap: within a session every entry after the first it got, and
// across a seam every entry after the last one received before. What the
// guarantee allows (resp/resume.go): after a session the client dropped,
// messages in flight may be skipped; after a session the server broke (a
// crash: the cursor is saved about once a second) or the client dropped,
// entries may come again. After a confirmed UNSUBSCRIBE the next session
// continues without a gap and without a repeat: a repeat there is a
// resume-duplicate violation (it was bug 4: the cursor saved at UNSUBSCRIBE
// was what the socket had accepted, so output still queued came again).
//
// Entries skipped after a client drop are told apart by where they were:
// those the client found in its own buffers as it dropped (FBuffered: they
// reached its machine, so the server rightly counts them delivered) and
// the others, in flight on the network or in the server's socket when the
// connection broke. Since the cursor follows what the client's TCP stack
// acknowledged, the second kind is only a race at the moment of the drop.

// How a named session ended (the workload's end event Detail).
const (
	endUnsubscribed = "unsubscribed"
	endDropped      = "dropped"
	endBroken       = "broken"
)

// NamedStats count what named subscribers received.
type NamedStats struct {
	Names           int            `json:"names"`
	Sessions        int            `json:"sessions"`
	Seams           int            `json:"seams_checked"`
	Received        int            `json:"messages"`
	Duplicates      int            `json:"duplicates"`
	DuplicatesBy    map[string]int `json:"duplicates_by_previous_end"`
	SkippedDrops    int            `json:"skipped_after_client_drop"` // in flight: never reached the client's machine, as far as it knows
	SkippedBuffered int            `json:"skipped_buffered_at_client_drop"`
	SessionsByEnd   map[string]int `json:"sessions_by_end"`
}

// namedStream is one (name, channel) stream being checked.
type namedStream struct {
	name     string
	c        *channelLog
	last     int             // final-log position of the last entry received since the anchor (-1: none)
	unplaced bool            // a session's entries could not be placed in the final log: skip the next seam
	baseline int64           // the anchor's Ready: a write invoked after it is after the cursor
	ends     []string        // how sessions ended since the one that received last
	since    int64           // when the session that received last began
	buffered map[string]bool // values found buffered at drops since the one that received last
}

func (m *model) checkNamed() {
	byName := map[string][]*session{}
	for _, s := range m.sessions() {
		if s.start.Name != "" {
			byName[s.start.Name] = append(byName[s.start.Name], s)
		}
	}
	if len(byName) == 0 {
		return
	}
	st := &NamedStats{Names: len(byName), DuplicatesBy: map[string]int{}, SessionsByEnd: map[string]int{}}
	m.namedStats = st
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		ss := byName[name]
		st.Sessions += len(ss)
		for _, s := range ss {
			st.SessionsByEnd[sessionEnd(s)]++
		}
		anchor := -1
		for i, s := range ss {
			if s.end.Clean {
				anchor = i
				break
			}
		}
		if anchor < 0 {
			continue
		}
		for _, ch := range ss[anchor].start.Channels {
			c := m.channel(ch)
			if c.finalOp < 0 {
				continue
			}
			ns := &namedStream{name: name, c: c, last: -1, baseline: ss[anchor].end.Ready}
			for i, s := range ss[anchor:] {
				m.checkNamedSession(ns, s, i == 0)
			}
		}
	}
}

// sessionEnd names how a session ended; one that never ended, or ended
// without saying how, counts as dropped.
func sessionEnd(s *session) string {
	switch s.end.Detail {
	case endUnsubscribed, endBroken, endDropped:
		return s.end.Detail
	}
	if s.end.Clean {
		return endUnsubscribed
	}
	return endDropped
}

// checkNamedSession checks one session's entries of ns's channel: the seam
// before its first, and no gap after it.
func (m *model) checkNamedSession(ns *namedStream, s *session, anchor bool) {
	got := s.received[ns.c.name]
	m.namedStats.Received += len(got)
	cur, placed := m.placeSession(ns, s, got, anchor)
	switch {
	case !placed:
		ns.unplaced, ns.ends = true, nil
	case cur > ns.last || ns.unplaced && cur >= 0:
		ns.last, ns.ends, ns.unplaced, ns.since = cur, nil, false, s.start.Time
		ns.buffered = nil
	}
	ns.ends = append(ns.ends, sessionEnd(s))
	for v := range s.buffered[ns.c.name] {
		if ns.buffered == nil {
			ns.buffered = map[string]bool{}
		}
		ns.buffered[v] = true
	}
}

// placeSession places a session's entries in the final log, checks the
// seam before the first and that the others follow one another, and
// returns the last one's position (-1: it got none). placed is false when
// an entry is not in the final log (checkDelivered reports it) or out of
// order (reported here: with values stored twice, checkDelivered's
// subsequence test can miss it).
func (m *model) placeSession(ns *namedStream, s *session, got []recv, anchor bool) (int, bool) {
	cur := -1
	for k, r := range got {
		ps := ns.c.valuePos[r.value]
		if len(ps) == 0 {
			return cur, false
		}
		if k == 0 {
			cur = firstPosition(ns.c, ps, ns.last, got)
			if !anchor && !ns.unplaced {
				m.checkSeam(ns, s, cur, r)
			}
			continue
		}
		i := sort.SearchInts(ps, cur+1)
		if i == len(ps) {
			m.rep.add(Anomaly{Kind: KindOrder, Channel: ns.c.name, Value: r.value,
				Detail: fmt.Sprintf("named subscriber %s (process %d) received %q after %s, which the final log holds only earlier (or it came twice)", ns.name, s.start.Process, r.value, describeEntry(ns.c.final[cur])),
				Ops:    []int{r.op, ns.c.finalOp}})
			return cur, false
		}
		if p := ps[i]; p > cur+1 {
			m.reportNamedGap(ns, s, cur+1, p, r, "within one session")
		}
		cur = ps[i]
	}
	return cur, true
}

// firstPosition places a session's first entry, whose value the final log
// may hold more than once (a retried publish): at the candidate from which
// the most entries received next follow one another (up to 64), preferring
// one after last, then the earliest.
func firstPosition(c *channelLog, ps []int, last int, got []recv) int {
	run := func(p int) int {
		n := 0
		for _, r := range got[1:min(len(got), 65)] {
			next := c.valuePos[r.value]
			i := sort.SearchInts(next, p+1)
			if i == len(next) || next[i] != p+1 {
				break
			}
			p, n = p+1, n+1
		}
		return n
	}
	best, bestRun := -1, -1
	after := sort.SearchInts(ps, last+1)
	for _, cands := range [][]int{ps[after:], ps[:after]} {
		for _, p := range cands {
			if n := run(p); n > bestRun {
				best, bestRun = p, n
			}
		}
	}
	return best
}

// checkSeam: the first entry b of a session continues the stream.
func (m *model) checkSeam(ns *namedStream, s *session, b int, r recv) {
	st := m.namedStats
	st.Seams++
	dropped, clean := false, true
	for _, e := range ns.ends {
		dropped = dropped || e == endDropped
		clean = clean && e == endUnsubscribed
	}
	if ns.last < 0 {
		// Nothing received since the anchor: every entry written after the
		// anchor subscribed is after the cursor.
		for p := 0; p < b; p++ {
			e := ns.c.final[p]
			if m.writtenAfter(ns.c, e.Value, ns.baseline) && !dropped {
				m.reportNamedGap(ns, s, p, b, r, "since the name's cursor was saved")
				return
			}
		}
		return
	}
	switch {
	case b <= ns.last:
		n := ns.last - b + 1
		st.Duplicates += n
		st.DuplicatesBy[lastEnd(ns.ends)] += n
		if clean && m.diskFaultBetween(ns.since, s.start.Time) {
			// The cursor could not be saved at UNSUBSCRIBE: the node
			// refused writes (a disk fault, MISCONF until restarted), so
			// the stored one is older. A repeat, never a gap.
			st.DuplicatesBy[endUnsubscribed] -= n
			st.DuplicatesBy[dupDiskFault] += n
			return
		}
		if clean {
			m.rep.add(Anomaly{Kind: KindResumeDuplicate, Channel: ns.c.name, Value: r.value,
				Detail: fmt.Sprintf("named subscriber %s (process %d) got %d entries again from %s after its previous session ended with a confirmed UNSUBSCRIBE", ns.name, s.start.Process, n, describeEntry(ns.c.final[b])),
				Ops:    []int{s.start.Index, r.op}})
			return
		}
	case b > ns.last+1 && dropped:
		for p := ns.last + 1; p < b; p++ {
			if ns.buffered[ns.c.final[p].Value] {
				st.SkippedBuffered++
			} else {
				st.SkippedDrops++
			}
		}
	case b > ns.last+1:
		m.reportNamedGap(ns, s, ns.last+1, b, r, "since its previous session")
	}
}

// dupDiskFault counts repeats after a confirmed UNSUBSCRIBE whose cursor
// could not be saved because a disk fault had the node refuse writes.
const dupDiskFault = "unsubscribed-during-disk-fault"

// diskFaultBetween reports whether a disk fault (from its start until the
// nemesis healed it, restart included) overlapped [from, to].
func (m *model) diskFaultBetween(from, to int64) bool {
	if m.diskFaults == nil {
		m.diskFaults = [][2]int64{}
		var start int64 = -1
		for _, op := range m.ops {
			if op.Process != history.NemesisProcess || op.F != "diskfault" {
				continue
			}
			if op.Type == history.Invoke {
				start = op.Time
			} else if start >= 0 {
				m.diskFaults = append(m.diskFaults, [2]int64{start, op.Time})
				start = -1
			}
		}
		if start >= 0 {
			m.diskFaults = append(m.diskFaults, [2]int64{start, math.MaxInt64})
		}
	}
	for _, f := range m.diskFaults {
		if f[0] <= to && from <= f[1] {
			return true
		}
	}
	return false
}

func lastEnd(ends []string) string {
	for _, e := range ends {
		if e != endUnsubscribed {
			return e
		}
	}
	return endUnsubscribed
}

// writtenAfter reports whether a write of value was invoked after t.
func (m *model) writtenAfter(c *channelLog, value string, t int64) bool {
	for _, a := range c.writes[value] {
		if a.inv.Time > t {
			return true
		}
	}
	return false
}

// reportNamedGap reports final-log positions [from, to) skipped before r.
func (m *model) reportNamedGap(ns *namedStream, s *session, from, to int, r recv, where string) {
	missing := ns.c.final[from]
	m.rep.add(Anomaly{Kind: KindResumeGap, Channel: ns.c.name, Value: missing.Value, ID: missing.ID,
		Detail: fmt.Sprintf("named subscriber %s (process %d) skipped %d entries %s, first %s, before %s", ns.name, s.start.Process, to-from, where, describeEntry(missing), describeEntry(ns.c.final[to])),
		Ops:    []int{s.start.Index, r.op, ns.c.finalOp}})
}
