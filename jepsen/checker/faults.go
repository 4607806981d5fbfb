package checker

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rewind-mq/rewind/jepsen/history"
)

// Window is one fault and how long writes were unavailable around it.
type Window struct {
	Nemesis    string  `json:"nemesis"`
	Detail     string  `json:"detail,omitempty"`
	Start      float64 `json:"start_s"`
	End        float64 `json:"end_s"`
	RecoveryMs float64 `json:"recovery_ms"`   // from the end of the fault to the next acknowledged write; -1: none
	OutageMs   float64 `json:"max_outage_ms"` // longest stretch without an acknowledged write, from the start of the fault to recovery
}

// Unavailability measures every nemesis interval of the history.
func Unavailability(ops []history.Op) []Window {
	var acks []int64
	for _, op := range ops {
		if isWrite(op) && op.Type == history.OK {
			acks = append(acks, op.Time)
		}
	}
	sort.Slice(acks, func(i, j int) bool { return acks[i] < acks[j] })
	var out []Window
	open := map[string]history.Op{}
	for _, op := range ops {
		if op.Process != history.NemesisProcess {
			continue
		}
		if op.Type == history.Invoke {
			open[op.F] = op
			continue
		}
		start, ok := open[op.F]
		if !ok {
			continue
		}
		delete(open, op.F)
		out = append(out, window(start, op, acks))
	}
	return out
}

func window(start, end history.Op, acks []int64) Window {
	w := Window{Nemesis: start.F, Detail: start.Detail, Start: seconds(start.Time), End: seconds(end.Time), RecoveryMs: -1}
	i := sort.Search(len(acks), func(i int) bool { return acks[i] > end.Time })
	recovered := end.Time
	if i < len(acks) {
		recovered = acks[i]
		w.RecoveryMs = float64(recovered-end.Time) / 1e6
	}
	prev := start.Time
	for j := sort.Search(len(acks), func(j int) bool { return acks[j] > start.Time }); j < len(acks) && acks[j] <= recovered; j++ {
		w.OutageMs = max(w.OutageMs, float64(acks[j]-prev)/1e6)
		prev = acks[j]
	}
	w.OutageMs = max(w.OutageMs, float64(recovered-prev)/1e6)
	return w
}

func seconds(ns int64) float64 { return float64(ns) / 1e9 }

// Probe is what a node did when started on a corrupted copy of the data.
type Probe struct {
	Node     string `json:"node"`
	Mutation string `json:"mutation"`
	Outcome  string `json:"outcome"` // how the node reacted
	Entries  int    `json:"entries_served"`
	Missing  int    `json:"acknowledged_missing"`
	Wrong    int    `json:"wrong_or_made_up"`
}

// checkProbes judges reads served by nodes on corrupted files: a wrong or
// made-up entry is a violation; a log silently missing acknowledged
// entries is a warning. The copy a probe serves was taken when the last
// "corrupt" fault before it began: writes acknowledged before then are in
// it.
func (m *model) checkProbes() {
	starts := map[string]history.Op{}
	var copied history.Op
	for _, op := range m.ops {
		if op.Process != history.NemesisProcess {
			continue
		}
		if !isProbe(op) {
			if op.F == "corrupt" && op.Type == history.Invoke {
				copied = op
			}
			continue
		}
		if op.Type == history.Invoke {
			starts[op.Node] = op
			continue
		}
		p := Probe{Node: op.Node, Mutation: starts[op.Node].Detail, Outcome: op.Detail}
		m.judgeProbe(&p, copied)
		if strings.Contains(p.Outcome, "crashed: panic") {
			m.rep.add(Anomaly{Kind: KindCorruptCrash, Detail: fmt.Sprintf("node on damaged files (%s): %s", p.Mutation, p.Outcome), Ops: []int{op.Index}})
		}
		m.probes = append(m.probes, p)
	}
}

// judgeProbe checks the probe's reads; copied is when its data was copied.
func (m *model) judgeProbe(p *Probe, copied history.Op) {
	for _, op := range m.ops {
		if op.Node != p.Node || !isReadF(op.F) || op.Type != history.OK {
			continue
		}
		c := m.channel(op.Channel)
		entries := m.expand(op)
		p.Entries += len(entries)
		have := map[string]bool{}
		for _, e := range entries {
			have[e.Value] = true
			if c.finalOp >= 0 && !holds(c, e.ID, e.Value) || !c.written(e.Value) {
				p.Wrong++
				m.rep.add(Anomaly{Kind: KindCorruptWrongValue, Channel: c.name, Value: e.Value, ID: e.ID,
					Detail: fmt.Sprintf("node on corrupted files (%s) served %s, not in the log", p.Mutation, describeEntry(e)), Ops: []int{op.Index}})
			}
		}
		missing := m.missingFrom(c, have, copied.Time)
		p.Missing += missing
		if missing > 0 {
			m.rep.add(Anomaly{Kind: KindCorruptSilentLoss, Channel: c.name,
				Detail: fmt.Sprintf("node on corrupted files (%s) served %d entries without an error, missing %d acknowledged", p.Mutation, len(entries), missing),
				Ops:    []int{copied.Index, op.Index}})
		}
	}
}

// missingFrom counts writes acknowledged before t whose value is not in have.
func (m *model) missingFrom(c *channelLog, have map[string]bool, t int64) int {
	n := 0
	for value, attempts := range c.writes {
		for _, a := range attempts {
			if a.ok() && a.done.Time < t && !have[value] {
				n++
				break
			}
		}
	}
	return n
}
