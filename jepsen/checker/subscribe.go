package checker

import (
	"fmt"
	"sort"

	"github.com/rewind-mq/rewind/jepsen/history"
)

// session is one live subscription: from its invocation to its end, with
// what it received per channel.
type session struct {
	start, end history.Op // end.Type is Invoke while it never ended
	received   map[string][]recv
	// buffered: by channel, the values it found in its buffers when it
	// dropped its connection (history.FBuffered).
	buffered map[string]map[string]bool
}

type recv struct {
	value string
	op    int
}

func (m *model) sessions() []*session {
	open := map[int]*session{}
	var all []*session
	for _, op := range m.ops {
		switch {
		case op.F == history.FSubscribe && op.Type == history.Invoke:
			s := &session{start: op, end: op, received: map[string][]recv{}, buffered: map[string]map[string]bool{}}
			open[op.Process] = s
			all = append(all, s)
		case op.F == history.FSubscribe:
			if s := open[op.Process]; s != nil {
				s.end = op
				delete(open, op.Process)
			}
		case op.F == history.FRecv:
			if s := open[op.Process]; s != nil {
				for _, v := range op.Values {
					s.received[op.Channel] = append(s.received[op.Channel], recv{value: v, op: op.Index})
				}
			}
		case op.F == history.FBuffered:
			if s := open[op.Process]; s != nil {
				if s.buffered[op.Channel] == nil {
					s.buffered[op.Channel] = map[string]bool{}
				}
				for _, v := range op.Values {
					s.buffered[op.Channel][v] = true
				}
			}
		}
	}
	return all
}

// checkSessions: what a live subscriber received is, per channel, a
// subsequence of the final log (in order, nothing unwritten, nothing twice
// unless stored twice); a session we closed cleanly also received every
// write acknowledged while it was surely subscribed.
func (m *model) checkSessions() {
	for _, s := range m.sessions() {
		for _, name := range s.start.Channels {
			c := m.channel(name)
			got := s.received[name]
			m.checkDelivered(c, s, got)
			if s.end.Clean && c.finalOp >= 0 {
				m.checkComplete(c, s, got)
			}
		}
	}
}

func (m *model) checkDelivered(c *channelLog, s *session, got []recv) {
	pos := -1
	for _, r := range got {
		ps := c.valuePos[r.value]
		i := sort.SearchInts(ps, pos+1)
		switch {
		case !c.written(r.value):
			m.rep.add(Anomaly{Kind: KindPhantom, Channel: c.name, Value: r.value,
				Detail: fmt.Sprintf("subscriber (process %d) received %q, a value no client wrote", s.start.Process, r.value), Ops: []int{r.op}})
		case c.finalOp < 0:
		case len(ps) == 0:
			m.rep.add(Anomaly{Kind: KindUncommittedRead, Channel: c.name, Value: r.value,
				Detail: fmt.Sprintf("subscriber (process %d) received %q, which the final log does not hold", s.start.Process, r.value), Ops: []int{r.op, c.finalOp}})
		case i == len(ps):
			m.rep.add(Anomaly{Kind: KindOrder, Channel: c.name, Value: r.value,
				Detail: fmt.Sprintf("subscriber (process %d) received %q after %s, which the final log holds later (or it came twice)", s.start.Process, r.value, describeEntry(c.final[pos])),
				Ops:    []int{r.op, c.finalOp}})
		default:
			pos = ps[i]
		}
	}
}

// checkComplete: every write acknowledged after the session was surely
// subscribed and before its closing ping must have been received.
func (m *model) checkComplete(c *channelLog, s *session, got []recv) {
	have := make(map[string]bool, len(got))
	for _, r := range got {
		have[r.value] = true
	}
	for value, attempts := range c.writes {
		for _, a := range attempts {
			if !a.ok() || a.inv.Time < s.end.Ready || a.done.Time > s.end.Until || have[value] {
				continue
			}
			m.rep.add(Anomaly{Kind: KindMissed, Channel: c.name, Value: value,
				Detail: fmt.Sprintf("subscriber (process %d, subscribed %s–%s) never received %q, published %s–%s", s.start.Process, fmtTime(s.end.Ready), fmtTime(s.end.Until), value, fmtTime(a.inv.Time), fmtTime(a.done.Time)),
				Ops:    []int{s.start.Index, a.inv.Index, a.done.Index, s.end.Index}})
			break
		}
	}
}
