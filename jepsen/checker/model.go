package checker

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rewind-mq/rewind/jepsen/history"
)

// attempt is one write of a value: its invocation and completion (Type
// Invoke when it never completed: treated as unknown).
type attempt struct {
	inv, done history.Op
}

func (a attempt) ok() bool { return a.done.Type == history.OK }

// channelLog is what the history says about one channel.
type channelLog struct {
	name     string
	final    []history.Entry
	finalOp  int              // -1: no final read
	pos      map[string]int   // ID -> index in final
	valuePos map[string][]int // value -> indexes in final
	writes   map[string][]attempt
	idSeen   map[string]idObservation // ID -> first value seen with it
}

type idObservation struct {
	value string
	op    int
}

// model is the history organized for checking.
type model struct {
	rep      *report
	ops      []history.Op
	byIndex  map[int]int // op Index -> position in ops
	channels map[string]*channelLog
	reads    []history.Op // completed reads of serving nodes (not probes)
	probes   []Probe
	nemesis  int

	queues      map[string]*queueLog // by channel and group
	deadLetters []history.Op         // completed dead-letter reads
	queueStats  QueueStats
	namedStats  *NamedStats
	diskFaults  [][2]int64 // disk fault intervals (diskFaultBetween), nil until needed
}

// probeNodePrefix names the temporary nodes that serve corrupted copies.
const probeNodePrefix = "probe"

func isProbe(op history.Op) bool { return strings.HasPrefix(op.Node, probeNodePrefix) }

func isWrite(op history.Op) bool { return op.F == history.FPublish || op.F == history.FXAdd }

func isReadF(f string) bool { return f == history.FRead || f == history.FReplay }

func buildModel(ops []history.Op, rep *report) *model {
	m := &model{rep: rep, ops: ops, byIndex: make(map[int]int, len(ops)), channels: map[string]*channelLog{}}
	for i, op := range ops {
		m.byIndex[op.Index] = i
	}
	m.collectWrites()
	m.collectFinals()
	m.collectReads()
	m.collectQueues()
	return m
}

func (m *model) channel(name string) *channelLog {
	c := m.channels[name]
	if c == nil {
		c = &channelLog{name: name, finalOp: -1, pos: map[string]int{}, valuePos: map[string][]int{},
			writes: map[string][]attempt{}, idSeen: map[string]idObservation{}}
		m.channels[name] = c
	}
	return c
}

// collectWrites pairs every write invocation with its completion.
func (m *model) collectWrites() {
	open := map[int]history.Op{}
	for _, op := range m.ops {
		if op.Process == history.NemesisProcess {
			if op.Type == history.Invoke {
				m.nemesis++
			}
			continue
		}
		if !isWrite(op) {
			continue
		}
		if op.Type == history.Invoke {
			open[op.Process] = op
			continue
		}
		inv, ok := open[op.Process]
		if !ok {
			continue
		}
		delete(open, op.Process)
		c := m.channel(inv.Channel)
		c.writes[inv.Value] = append(c.writes[inv.Value], attempt{inv: inv, done: op})
	}
	for _, inv := range open { // never completed: unknown
		c := m.channel(inv.Channel)
		c.writes[inv.Value] = append(c.writes[inv.Value], attempt{inv: inv, done: inv})
	}
}

// expand returns the full entries of a read, following its delta chain.
func (m *model) expand(op history.Op) []history.Entry {
	chain := []history.Op{op}
	for cur := op; cur.Same > 0; {
		i, ok := m.byIndex[cur.Base]
		if !ok {
			break
		}
		cur = m.ops[i]
		chain = append(chain, cur)
	}
	var out []history.Entry
	for i := len(chain) - 1; i >= 0; i-- {
		c := chain[i]
		if c.Same > len(out) {
			c.Same = len(out) // a broken chain: keep what is known
		}
		out = append(out[:c.Same], c.Entries...)
	}
	return out
}

// collectFinals sets each channel's final log from its first final XRANGE
// read (or replay if there is none) and compares the other final reads.
func (m *model) collectFinals() {
	finals := map[string][]history.Op{}
	for _, op := range m.ops {
		if op.Final && isReadF(op.F) && op.Type == history.OK && !isProbe(op) {
			finals[op.Channel] = append(finals[op.Channel], op)
		}
	}
	for name, list := range finals {
		sort.SliceStable(list, func(i, j int) bool { return list[i].F == history.FRead && list[j].F != history.FRead })
		c := m.channel(name)
		c.final, c.finalOp = m.expand(list[0]), list[0].Index
		for i, e := range c.final {
			c.pos[e.ID] = i
			c.valuePos[e.Value] = append(c.valuePos[e.Value], i)
			if i > 0 && !idLess(c.final[i-1].ID, e.ID) {
				m.rep.add(Anomaly{Kind: KindOrder, Channel: name, Value: e.Value, ID: e.ID,
					Detail: fmt.Sprintf("the final log holds %s after %s", describeEntry(e), describeEntry(c.final[i-1])), Ops: []int{c.finalOp}})
			}
		}
		for _, other := range list[1:] {
			m.compareFinal(c, other)
		}
	}
	for name, c := range m.channels {
		if c.finalOp < 0 && len(c.writes) > 0 {
			m.rep.add(Anomaly{Kind: KindNoFinalRead, Channel: name, Detail: "no reader could replay the channel after the faults healed"})
		}
	}
}

func (m *model) compareFinal(c *channelLog, op history.Op) {
	got := m.expand(op)
	for i := 0; i < len(got) || i < len(c.final); i++ {
		if i < len(got) && i < len(c.final) && got[i] == c.final[i] {
			continue
		}
		detail := fmt.Sprintf("final %s returned %d entries, final read #%d returned %d; first difference at position %d", op.F, len(got), c.finalOp, len(c.final), i)
		m.rep.add(Anomaly{Kind: KindFinalDisagree, Channel: c.name, Detail: detail, Ops: []int{c.finalOp, op.Index}})
		return
	}
}

// collectReads records the reads to check and every (ID, value) seen.
func (m *model) collectReads() {
	for _, op := range m.ops {
		switch {
		case isReadF(op.F) && op.Type == history.OK:
			if isProbe(op) {
				continue // judged by checkProbes
			}
			m.reads = append(m.reads, op)
			c := m.channel(op.Channel)
			for _, e := range op.Entries {
				m.observe(c, e, op.Index)
			}
		case op.F == history.FXAdd && op.Type == history.OK && op.ID != "":
			m.observe(m.channel(op.Channel), history.Entry{ID: op.ID, Value: m.valueOf(op)}, op.Index)
		}
	}
	m.checkProbes()
}

// valueOf returns the value an XADD completion wrote (from its invocation).
func (m *model) valueOf(done history.Op) string {
	if done.Value != "" {
		return done.Value
	}
	for i := m.byIndex[done.Index] - 1; i >= 0; i-- {
		if op := m.ops[i]; op.Process == done.Process && op.Type == history.Invoke {
			return op.Value
		}
	}
	return ""
}

// observe notes that id held value; a second value for one ID is reused-id.
func (m *model) observe(c *channelLog, e history.Entry, op int) {
	seen, ok := c.idSeen[e.ID]
	if !ok {
		c.idSeen[e.ID] = idObservation{value: e.Value, op: op}
		return
	}
	if seen.value != e.Value {
		m.rep.add(Anomaly{Kind: KindReusedID, Channel: c.name, ID: e.ID, Value: e.Value,
			Detail: fmt.Sprintf("ID %s held %q (event %d) and %q (event %d)", e.ID, seen.value, seen.op, e.Value, op),
			Ops:    []int{seen.op, op}})
		c.idSeen[e.ID] = idObservation{value: e.Value, op: op} // report each new conflict once
	}
}

// written reports whether any client ever tried to write value.
func (c *channelLog) written(value string) bool { return len(c.writes[value]) > 0 }

func (m *model) stats() Stats {
	s := Stats{FinalEntries: map[string]int{}, NemesisEvents: m.nemesis}
	for name, c := range m.channels {
		if c.finalOp >= 0 {
			s.FinalEntries[name] = len(c.final)
		}
		for value, attempts := range c.writes {
			unknown := false
			for _, a := range attempts {
				s.Writes++
				switch a.done.Type {
				case history.OK:
					s.WritesOK++
				case history.Fail:
					s.WritesFailed++
				default:
					s.WritesUnknown++
					unknown = true
				}
			}
			if unknown && len(c.valuePos[value]) > 0 {
				s.UnknownInFinal++
			}
			if len(c.valuePos[value]) > 1 && len(attempts) > 1 {
				s.DuplicatesOK += len(c.valuePos[value]) - 1
			}
		}
	}
	for _, op := range m.reads {
		s.Reads++
		s.ReadEntries += op.Count
	}
	for _, op := range m.ops {
		switch {
		case op.F == history.FRecv:
			s.Deliveries += len(op.Values)
		case op.F == history.FSubscribe && op.Type == history.Invoke:
			s.Sessions++
		case op.F == history.FSubscribe && op.Clean:
			s.CleanSessions++
		}
	}
	return s
}
