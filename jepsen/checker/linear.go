package checker

import (
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/rewind-mq/rewind/jepsen/history"
)

// The linearizability check models one channel as a list of entries.
// append(value) returns the entry's ID; read returns the whole list. A
// history is linearizable if some order of the operations, each taking
// effect between its invocation and completion, is a legal run of the
// list: reads see exactly the entries appended before them, and IDs grow.
// Writes with an unknown outcome may take effect at any time after their
// invocation (porcupine: they never return); one that no read ever saw is
// left out, since the list without it is always a legal outcome.

// LinResult is porcupine's verdict on one channel.
type LinResult struct {
	Channel       string  `json:"channel"`
	Result        string  `json:"result"` // Ok, Illegal or Unknown (timed out)
	Operations    int     `json:"operations"`
	DurationMs    float64 `json:"duration_ms"`
	Detail        string  `json:"detail,omitempty"`
	Visualization string  `json:"visualization,omitempty"`
}

type linState struct {
	n    int
	hash uint64
	last streamID
}

type linInput struct {
	read  bool
	value string
}

type linOutput struct {
	id   string   // append: the ID
	n    int      // read: entries returned
	hash uint64   // read: digest of the entries, in order
	seen []string // read: the first entries, for the visualization
}

// entryHash folds one entry into a list digest.
func entryHash(h uint64, e history.Entry) uint64 {
	f := fnv.New64a()
	f.Write([]byte(e.ID))
	f.Write([]byte{0})
	f.Write([]byte(e.Value))
	return h*1099511628211 + f.Sum64()
}

var linModel = porcupine.Model{
	Init: func() interface{} { return linState{} },
	Step: func(state, input, output interface{}) (bool, interface{}) {
		s, in, out := state.(linState), input.(linInput), output.(linOutput)
		if in.read {
			return out.n == s.n && out.hash == s.hash, s
		}
		id, ok := parseID(out.id)
		if !ok || (s.n > 0 && !s.last.less(id)) {
			return false, s
		}
		return true, linState{n: s.n + 1, hash: entryHash(s.hash, history.Entry{ID: out.id, Value: in.value}), last: id}
	},
	Equal: func(a, b interface{}) bool { return a.(linState) == b.(linState) },
	Hash:  func(s interface{}) uint64 { st := s.(linState); return st.hash ^ uint64(st.n) },
	DescribeOperation: func(input, output interface{}) string {
		in, out := input.(linInput), output.(linOutput)
		if in.read {
			return fmt.Sprintf("read() -> %d entries %v", out.n, out.seen)
		}
		return fmt.Sprintf("append(%s) -> %s", in.value, out.id)
	},
	DescribeState: func(s interface{}) string {
		st := s.(linState)
		return fmt.Sprintf("%d entries, last %d-%d", st.n, st.last.ms, st.last.seq)
	},
}

// CheckLinearizable runs porcupine on channel's XADDs and whole-channel
// reads. visualization, if set, receives porcupine's HTML on a failure.
func CheckLinearizable(ops []history.Op, channel string, timeout time.Duration, visualization string) LinResult {
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	m := buildModel(ops, &report{max: 0, counts: map[string]int{}, examples: map[string][]Anomaly{}})
	pops := linOperations(m, channel)
	res := LinResult{Channel: channel, Operations: len(pops)}
	start := time.Now()
	result, info := porcupine.CheckOperationsVerbose(linModel, pops, timeout)
	res.DurationMs = float64(time.Since(start).Microseconds()) / 1000
	res.Result = string(result)
	if result == porcupine.Illegal {
		res.Detail = fmt.Sprintf("no linearization of %d appends and reads of %q", len(pops), channel)
		if visualization != "" && porcupine.VisualizePath(linModel, info, visualization) == nil {
			res.Visualization = visualization
		}
	}
	return res
}

// linOperations converts the channel's history to porcupine operations.
func linOperations(m *model, channel string) []porcupine.Operation {
	c := m.channels[channel]
	if c == nil {
		return nil
	}
	clients := map[int]int{}
	client := func(p int) int {
		if _, ok := clients[p]; !ok {
			clients[p] = len(clients)
		}
		return clients[p]
	}
	idOf := map[string]string{}
	for id, obs := range c.idSeen {
		idOf[obs.value] = id
	}
	var out []porcupine.Operation
	for value, attempts := range c.writes {
		for _, a := range attempts {
			if op, ok := linAppend(idOf[value], value, a); ok {
				op.ClientId = client(a.inv.Process)
				out = append(out, op)
			}
		}
	}
	for _, r := range m.reads {
		if r.Channel == channel && r.F == history.FRead && fromStart(r) {
			out = append(out, linRead(m, r, client(r.Process)))
		}
	}
	return out
}

// linAppend converts one XADD; ok is false for writes left out.
// seenID is the ID some read saw value at ("": none).
func linAppend(seenID, value string, a attempt) (porcupine.Operation, bool) {
	op := porcupine.Operation{Input: linInput{value: value}, Call: a.inv.Time, Return: a.done.Time}
	switch {
	case a.done.Type == history.Fail || a.inv.F != history.FXAdd:
		return op, false
	case a.ok() && a.done.ID != "":
		op.Output = linOutput{id: a.done.ID}
		return op, true
	}
	if seenID == "" {
		return op, false // never seen: the run without it is legal
	}
	op.Output, op.Return = linOutput{id: seenID}, math.MaxInt64
	return op, true
}

func linRead(m *model, r history.Op, client int) porcupine.Operation {
	entries := m.expand(r)
	var h uint64
	for _, e := range entries {
		h = entryHash(h, e)
	}
	out := linOutput{n: len(entries), hash: h}
	for _, e := range entries[max(0, len(entries)-5):] {
		out.seen = append(out.seen, e.Value)
	}
	return porcupine.Operation{ClientId: client, Input: linInput{read: true}, Call: m.invokeTime(r), Output: out, Return: r.Time}
}
